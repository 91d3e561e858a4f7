"""End to end with a real Celery worker on Redis: submit -> offer, decline -> next offer."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections

from brokerage.celery import app as celery_app
from brokering import services
from brokering.models import Offer, OfferStatus
from packages import services as packages_services
from tests.factories import PackageFactory
from zones.models import AllocationMode

from .factories import market

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(monkeypatch):
    # A queue named for this session's test database, so that no worker of another test
    # session sharing the Redis takes its messages (they would look in another database).
    queue = f"brokering-{connection.settings_dict['NAME']}"
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    # The worker's thread has its own connection: closing it after each task lets the
    # test database be flushed and dropped afterwards.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    try:
        with start_worker(
            celery_app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=10
        ):
            yield
    finally:
        celery_app.conf.task_default_queue = default_queue


def wait_for(query, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = query.first()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"nothing matched within {timeout} s")


def test_submitted_package_is_offered_by_the_worker_and_moves_on_after_a_decline(worker):
    zone, p = market(AllocationMode.CASCADE)
    package = PackageFactory(zone=zone)

    started = time.monotonic()
    packages_services.submit_package(package_id=package.pk, by=None)
    first = wait_for(Offer.objects.filter(package=package))
    assert first.provider == p["primary"]
    assert time.monotonic() - started < 5

    services.decline_offer(offer_id=first.pk, by=None, reason="no_capacity")
    second = wait_for(Offer.objects.filter(package=package, status=OfferStatus.PENDING))
    assert second.provider == p["secondary"]
