"""Work for after the transaction commits: a Celery task, or run in place during a replay.

Services queue tasks with `after_commit(task, *ids)` rather than
`transaction.on_commit(lambda: task.delay(*ids))`: a broker that is down is logged,
not raised into a request whose transaction has already committed. The replay (`manage.py
replay`) runs the real services inside one transaction that it rolls back,
where on-commit work would never run; within `run_in_place()` the tasks are
collected instead, and the replay runs them itself, in the order queued,
after each step, so that nothing reaches the broker.
"""

import collections
import contextlib
import contextvars
import logging

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

_in_place: contextvars.ContextVar[collections.deque | None] = contextvars.ContextVar(
    "jobs_in_place", default=None
)


def after_commit(task, *args) -> None:
    """Queue `task(*args)` once the current transaction commits (at once outside one)."""
    queue = _in_place.get()
    if queue is not None:
        queue.append((task, args))
    else:
        transaction.on_commit(lambda: send(task, *args), robust=True)


def send(task, *args) -> bool:
    """Hand `task(*args)` to the broker; with the broker down, log it and carry on.

    What is saved stays saved and the request that saved it succeeds: every task's
    work is also found from the database by a periodic job (the brokering sweep drives
    an open package with no offer on; the email sweep sends what was never emailed).
    """
    try:
        task.delay(*args)
    except (OperationalError, OSError):
        logger.warning(
            "Could not queue %s%r (the broker is unreachable): the periodic sweep will do it.",
            task.name,
            args,
            exc_info=True,
        )
        return False
    return True


@contextlib.contextmanager
def run_in_place():
    """Within this block, tasks queued with `after_commit` wait for `run_queued()`."""
    token = _in_place.set(collections.deque())
    try:
        yield
    finally:
        _in_place.reset(token)


def run_queued() -> int:
    """Run the tasks queued in place so far, and those they queue, in order; answers how many."""
    queue = _in_place.get()
    if queue is None:
        raise RuntimeError("run_queued() runs only within run_in_place()")
    ran = 0
    while queue:
        task, args = queue.popleft()
        task(*args)  # the task's own body, in this process: what a worker would run
        ran += 1
    return ran
