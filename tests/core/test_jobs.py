"""Tasks queued after commit: to the broker normally, run in place within a replay."""

import pytest

from core import jobs

pytestmark = pytest.mark.django_db


class Task:
    """A task that records its runs; `delay` stands for sending it to the broker."""

    def __init__(self, log, name, then=None):
        self.log, self.name, self.then = log, name, then

    def __call__(self, *args):
        self.log.append((self.name, "ran", args))
        if self.then:
            jobs.after_commit(self.then, *args)

    def delay(self, *args):
        self.log.append((self.name, "sent", args))


def test_a_task_goes_to_the_broker_once_the_transaction_commits(
    django_capture_on_commit_callbacks,
):
    log = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        jobs.after_commit(Task(log, "broker"), 7)
    assert log == []
    callbacks[0]()
    assert log == [("broker", "sent", (7,))]


def test_in_place_tasks_wait_for_run_queued_and_run_in_order_with_those_they_queue(
    django_capture_on_commit_callbacks,
):
    log = []
    second = Task(log, "second")
    with django_capture_on_commit_callbacks() as callbacks, jobs.run_in_place():
        jobs.after_commit(Task(log, "first", then=second), 1)
        jobs.after_commit(Task(log, "third"), 3)
        assert log == []
        assert jobs.run_queued() == 3
    assert log == [("first", "ran", (1,)), ("third", "ran", (3,)), ("second", "ran", (1,))]
    assert callbacks == []


def test_run_queued_outside_a_replay_is_a_mistake():
    with pytest.raises(RuntimeError):
        jobs.run_queued()
