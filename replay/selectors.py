"""Reads for the what-if pages: a user's simulations, the settings they tried, and a
finished one's chart."""

from zones.models import AllocationMode

from .forms import WhatIfForm
from .permissions import simulations_for
from .services import NO_CHANGE, WITH_SETTINGS

RECENT = 10
CHARTED = [
    ("Within 1.5 hours (%)", "within_90_minutes_percent"),
    ("Within 4 hours (%)", "within_4_hours_percent"),
    ("Unfilled (%)", "unfilled_percent"),
]


def recent_simulations(user):
    return simulations_for(user).order_by("-created_at", "-pk")[:RECENT]


def settings_described(settings: dict) -> list[tuple[str, list[str]]]:
    """Each zone's settings tried as the form names them: ("EXETER", ["Allocation mode:
    Broadcast", "Neighbour zones: MID-DEVON, EAST-DEVON"]), not the API's field names."""
    return [
        (
            code,
            [
                f"{_setting_label(name)}: {_setting_value(name, changes[name])}"
                for name in sorted(changes, key=_form_order)
            ],
        )
        for code, changes in settings.items()
    ]


def _form_order(name: str) -> tuple[int, str]:
    fields = list(WhatIfForm.base_fields)
    return (fields.index(name) if name in fields else len(fields), name)


def _setting_label(name: str) -> str:
    field = WhatIfForm.base_fields.get(name)
    return str(field.label) if field else name.replace("_", " ").capitalize()


def _setting_value(name: str, value) -> str:
    if name == "allocation_mode":
        return str(AllocationMode(value).label)
    if isinstance(value, dict):  # offer hours
        return f"{value['start']} to {value['end']}"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return "none" if value is None else str(value)


def comparison_chart(results: dict) -> dict:
    """A bar chart of the shares, actual beside predicted (the table has the same numbers)."""
    series = [("Actual", results["actual"]), ("Predicted, no change", results[NO_CHANGE])]
    if results[WITH_SETTINGS] is not None:
        series.append(("Predicted, with the settings", results[WITH_SETTINGS]))
    return {
        "type": "bar",
        "labels": [label for label, _ in CHARTED],
        "datasets": [
            {"label": name, "data": [measures[key] for _, key in CHARTED]}
            for name, measures in series
        ],
        "max": 100,
    }


def calibration(results: dict) -> dict:
    """How near the replay with no change came to what happened, in percentage points."""
    actual = results["actual"]["within_4_hours_percent"]
    predicted = results[NO_CHANGE]["within_4_hours_percent"]
    gap = None if actual is None or predicted is None else round(predicted - actual, 1)
    return {
        "actual": actual,
        "predicted": predicted,
        "gap": gap,
        "near": gap is not None and abs(gap) <= 10,
    }
