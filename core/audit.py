"""Who changed what: django-auditlog entries name the acting user.

API requests authenticate by token after auditlog's middleware has run, so the
services name the actor themselves. auditlog's `set_actor` does not restore the
context it replaces; restoring it here keeps the middleware's own context (and
its signal receiver) intact when the two nest.
"""

import contextlib

from auditlog.context import auditlog_value, set_actor


@contextlib.contextmanager
def acting(by):
    """Attribute audit entries written inside this block to `by` (None: the system)."""
    if by is None:
        yield
        return
    previous = auditlog_value.get(None)
    try:
        with set_actor(by):
            yield
    finally:
        if previous is not None:
            auditlog_value.set(previous)
