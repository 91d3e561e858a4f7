"""The time every service reads: now, the UK's today, a UK day's midnight, a week's Monday.

Services ask this module rather than `django.utils.timezone`, so that the
replay (`manage.py replay`) can run the real brokering code on a virtual
clock: inside `frozen_at(moment)` every service sees that moment as now.
Outside it this is `timezone.now()`, which time-machine moves in tests.
"""

import contextlib
import contextvars
import datetime

from django.utils import timezone

_virtual_now: contextvars.ContextVar[datetime.datetime | None] = contextvars.ContextVar(
    "virtual_now", default=None
)


def now() -> datetime.datetime:
    """The current moment, aware."""
    return _virtual_now.get() or timezone.now()


def today() -> datetime.date:
    """Today's date in the UK (Europe/London): the calendar the contract's dates use."""
    return timezone.localdate(now())


def midnight(day: datetime.date, *, days: int = 0) -> datetime.datetime:
    """The start of `day` (plus `days`) in the UK, aware: 23:00 UTC the evening before in summer."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=days), datetime.time())
    )


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of the week `day` falls in."""
    return day - datetime.timedelta(days=day.weekday())


@contextlib.contextmanager
def frozen_at(moment: datetime.datetime):
    """Within this block, `now()` answers `moment` (aware); the replay moves it event by event."""
    if timezone.is_naive(moment):
        raise ValueError("frozen_at needs an aware datetime")
    token = _virtual_now.set(moment)
    try:
        yield
    finally:
        _virtual_now.reset(token)
