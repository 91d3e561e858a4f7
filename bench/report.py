"""One line per figure: what it measured, its target, the figure before issue 16's work
and the ratio to it.

The figures from before were measured on this machine by the same benchmark code, on
the code as it was when issue 16 was filed (main at 3ca4752, the benchmarks of today run
on a copy of it), and recorded in bench/baseline.json (`--record-baseline` on a
benchmark writes its figures there). A ratio says how many
times better the figure is now: before / now for a time, now / before for a rate.
"""

import json
from dataclasses import dataclass
from pathlib import Path

BASELINE = Path(__file__).with_name("baseline.json")


def _before() -> dict:
    return json.loads(BASELINE.read_text()) if BASELINE.exists() else {}


@dataclass
class Figure:
    key: str  # "bench:scale:name", the key of its figure before
    label: str
    value: float
    unit: str
    target: float
    higher_is_better: bool = False

    @property
    def ok(self) -> bool:
        if self.higher_is_better:
            return self.value >= self.target
        return self.value <= self.target

    def line(self, before: dict) -> str:
        sign = ">=" if self.higher_is_better else "<="
        target = f"target {sign} {_number(self.target)} {self.unit}"
        was = before.get(self.key)
        if was is None:
            history = "before: not measured"
        else:
            ratio = (self.value / was) if self.higher_is_better else (was / max(self.value, 1e-9))
            history = f"before {_number(was)} {self.unit}  x{ratio:.1f}"
        verdict = "ok" if self.ok else "MISSED"
        return (
            f"{self.label:58} {_number(self.value):>9} {self.unit:6} {target:22} "
            f"{history:28} {verdict}"
        )


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


class Report:
    """Collects figures, prints each as it comes, and records them as the new baseline."""

    def __init__(self, log=print):
        self.figures: list[Figure] = []
        self.before = _before()
        self.log = log

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        self.log(figure.line(self.before))
        return figure

    @property
    def missed(self) -> list[Figure]:
        return [figure for figure in self.figures if not figure.ok]

    def record_baseline(self):
        recorded = {**_before(), **{figure.key: round(figure.value, 2) for figure in self.figures}}
        BASELINE.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
        self.log(f"{len(self.figures)} figures recorded in {BASELINE}")
