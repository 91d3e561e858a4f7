"""What-if simulations: requested, run (a background job), and their results measured.

A simulation replays its period's real referrals `runs` times with no
setting changed (the calibration: it should land near what happened) and,
when it tries settings, as many times with them, each run with its own
draw of the providers' answers, the same draw for both.
"""

import datetime
import queue
import statistics
import threading

from django.db import connection, transaction

from core import clock, jobs

from . import history, tasks
from .engine import ReplayError, replay_each, share_within
from .models import Simulation, SimulationStatus

MEASURES = (
    "median_minutes",
    "p90_minutes",
    "within_90_minutes_percent",
    "within_4_hours_percent",
    "unfilled_percent",
)
NO_CHANGE, WITH_SETTINGS = "no_change", "with_settings"
# A job still queued this long after it was asked for was lost on its way to a worker.
LOST_AFTER = datetime.timedelta(minutes=2)


def request_simulation(
    *,
    by,
    period_start: datetime.date,
    period_end: datetime.date,
    zones: list[str],
    settings: dict,
    seed: int = 1,
    runs: int = 3,
) -> Simulation:
    """Record the question and queue the job that answers it, once committed."""
    with transaction.atomic():
        simulation = Simulation.objects.create(
            requested_by=by,
            period_start=period_start,
            period_end=period_end,
            zones=zones,
            settings=settings,
            seed=seed,
            runs=runs,
            created_at=clock.now(),
        )
        jobs.after_commit(tasks.run_simulation, simulation.pk)
    return simulation


def run_simulation(*, simulation_id) -> bool:
    """Run a queued simulation to its end; answers False when it was not queued (run twice)."""
    claimed = Simulation.objects.filter(pk=simulation_id, status=SimulationStatus.QUEUED).update(
        status=SimulationStatus.RUNNING, started_at=clock.now(), progress=0
    )
    if not claimed:
        return False
    simulation = Simulation.objects.get(pk=simulation_id)
    try:
        with _ProgressWriter(simulation_id) as progress:
            results = simulate(simulation, progress=progress)
    except ReplayError as error:
        _finish(simulation_id, status=SimulationStatus.FAILED, error=str(error))
        return True
    except Exception:
        _finish(
            simulation_id,
            status=SimulationStatus.FAILED,
            error="The replay stopped on an error; the team has been told.",
        )
        raise
    _finish(simulation_id, status=SimulationStatus.DONE, results=results, progress=100)
    return True


def requeue_lost_simulations() -> int:
    """Queue again the simulations whose job was lost: still queued a while after being
    asked for, or running past the job's time limit (its worker died under it)."""
    now = clock.now()
    dead = Simulation.objects.filter(
        status=SimulationStatus.RUNNING,
        started_at__lt=now - datetime.timedelta(seconds=tasks.TIME_LIMIT_SECONDS) - LOST_AFTER,
    )
    dead.update(status=SimulationStatus.QUEUED, progress=0, started_at=None)
    lost = list(
        Simulation.objects.filter(
            status=SimulationStatus.QUEUED, created_at__lt=now - LOST_AFTER
        ).values_list("pk", flat=True)
    )
    for simulation_id in lost:
        tasks.run_simulation.delay(simulation_id)
    return len(lost)


def _finish(simulation_id, **changes):
    Simulation.objects.filter(pk=simulation_id, status=SimulationStatus.RUNNING).update(
        finished_at=clock.now(), **changes
    )


def simulate(simulation: Simulation, *, progress=None) -> dict:
    """The predicted against the actual time to fill of the simulation's period."""
    past = history.past_referrals(simulation.zones, simulation.period_start, simulation.period_end)
    samples = history.answer_samples(simulation.period_start, simulation.period_end)
    referrals = [p.referral for p in past]
    scenarios = {NO_CHANGE: {}}
    if simulation.settings:
        scenarios[WITH_SETTINGS] = simulation.settings
    answers_each = [
        history.DrawnAnswers(samples, past=past, seed=simulation.seed, run=run)
        for run in range(simulation.runs)
    ]
    runs = {}
    for n, (name, zone_settings) in enumerate(scenarios.items()):
        replayed = replay_each(
            referrals,
            answers_each,
            zone_settings,
            progress=progress and (lambda part, n=n: progress((n + part) / len(scenarios))),
        )
        runs[name] = [measure([p["minutes"] for p in r["packages"]]) for r in replayed]
    results = {
        "referrals": len(referrals),
        "actual": measure([p.actual_minutes for p in past]),
        WITH_SETTINGS: None,
    }
    for name, measured in runs.items():
        results[name] = {**averaged(measured), "runs": measured}
    return results


def measure(minutes: list[float | None]) -> dict:
    """Time to fill as commissioners measure it: of the placed, the median and 90th
    percentile; of every referral, the shares placed within 1.5 and 4 hours and unfilled."""
    placed = sorted(m for m in minutes if m is not None)
    return {
        "placed": len(placed),
        "unfilled": len(minutes) - len(placed),
        "median_minutes": _percentile(placed, 0.5),
        "p90_minutes": _percentile(placed, 0.9),
        "within_90_minutes_percent": share_within(placed, 90, len(minutes)),
        "within_4_hours_percent": share_within(placed, 240, len(minutes)),
        "unfilled_percent": (
            round(100 * (len(minutes) - len(placed)) / len(minutes), 1) if minutes else None
        ),
    }


def _percentile(ordered: list[float], fraction: float) -> float | None:
    """Interpolated between the nearest ranks, as the dashboard's (PostgreSQL's) percentile."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return round(ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower), 1)


def averaged(results: list[dict]) -> dict:
    """Each measure's mean over the runs (None where no run has it)."""
    means = {}
    for key in ("placed", "unfilled", *MEASURES):
        values = [r[key] for r in results if r[key] is not None]
        means[key] = round(statistics.fmean(values), 1) if values else None
    return means


class _ProgressWriter:
    """Writes a running simulation's progress from a thread of its own.

    The replay runs inside a transaction it rolls back, so its own connection
    cannot tell anyone how far it has got: this thread's connection (Django
    gives each thread its own) can, and commits each percent at once. Only
    the latest value is written; a database that makes writers queue (SQLite)
    delays the bar, never the replay.
    """

    def __init__(self, simulation_id):
        self.simulation_id = simulation_id
        self.values: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.last = -1

    def __enter__(self):
        self.thread.start()
        return self

    def __call__(self, fraction: float):
        percent = min(99, int(100 * fraction))  # 100 is written with the results
        if percent > self.last:
            self.last = percent
            self.values.put(percent)

    def __exit__(self, *exc):
        self.values.put(None)
        self.thread.join()

    def _write(self):
        try:
            while (percent := self.values.get()) is not None:
                while not self.values.empty():  # only the latest matters
                    latest = self.values.get()
                    if latest is None:
                        return
                    percent = latest
                Simulation.objects.filter(
                    pk=self.simulation_id, status=SimulationStatus.RUNNING
                ).update(progress=percent)
        finally:
            connection.close()
