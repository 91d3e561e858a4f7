"""Records kept for people, which no service reads back to decide anything: the audit
trail (core.audit), a package's timeline (packages' record_event), notifications, and
the commissioned-care rollup the dashboard's spend reads (packages.commissioned).

A replay (`manage.py replay`, the what-if page) runs the real services inside a
transaction it rolls back: whatever they record for people is thrown away
unread. Within `not_kept()` the services that write those records write
nothing (and the notices do not look up whom they would tell), so a replay
spends its time on brokering alone. Everything else, the offers, packages,
placements and re-tries that brokering does read back, is written as ever.
"""

import contextlib
import contextvars

_kept: contextvars.ContextVar[bool] = contextvars.ContextVar("records_kept", default=True)


def kept() -> bool:
    """Whether records for people are written here (everywhere but inside `not_kept()`)."""
    return _kept.get()


@contextlib.contextmanager
def not_kept():
    """Within this block the audit trail, timelines and notifications are not written."""
    token = _kept.set(False)
    try:
        yield
    finally:
        _kept.reset(token)
