"""Brokering tests run Celery tasks inline (eager); tests about the worker start a real one."""

import pytest

from brokerage.celery import app as celery_app


@pytest.fixture(autouse=True)
def _eager_tasks(request):
    if request.node.get_closest_marker("worker"):
        yield
        return
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False
