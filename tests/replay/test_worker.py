"""End to end with a real Celery worker on Redis: POST a simulation, watch it run to its end."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections
from django.utils import timezone

from brokerage.celery import app as celery_app
from brokering.models import Offer
from packages.models import Package

from .history import generate, generated_market, history_start

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(monkeypatch):
    # A queue of this session's own (see tests/brokering/test_worker.py), and connections
    # closed after each task so that the test database can be dropped afterwards.
    queue = f"replay-{connection.settings_dict['NAME']}"
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    try:
        with start_worker(
            celery_app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=30
        ):
            yield
    finally:
        celery_app.conf.task_default_queue = default_queue


def test_a_simulation_runs_on_the_worker_and_leaves_the_history_as_it_was(
    api, commissioner, worker
):
    _, providers = generated_market()
    start = history_start()
    generate(providers, start=start, referrals=12)
    before = (Package.objects.count(), Offer.objects.count())
    response = api(commissioner).post(
        "/api/v1/simulations/",
        {
            "period": {"start": str(start.date()), "end": str(timezone.localdate())},
            "zones": ["EXE"],
            "settings": {"EXE": {"allocation_mode": "broadcast"}},
            "runs": 2,
        },
        format="json",
    )
    assert response.status_code == 202
    url = f"/api/v1/simulations/{response.json()['id']}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        data = api(commissioner).get(url).json()
        if data["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert data["status"] == "done", data["error"]
    assert data["progress"] == 100
    assert data["results"]["referrals"] == 12
    assert data["results"]["with_settings"]["placed"] > 0
    assert (Package.objects.count(), Offer.objects.count()) == before
