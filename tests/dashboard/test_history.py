"""The demo's history: plausible numbers on every dashboard section, and seeding it once."""

import pytest
from django.utils import timezone

from brokerage.dashboard import selectors
from brokerage.dashboard.filters import Scope, default_since
from brokerage.demo import history
from brokerage.demo.market import seed_market
from brokerage.models import Offer
from invoicing.models import Invoice
from packages.models import HandBack, Package, PackageStatus


@pytest.fixture
def short_history(db, monkeypatch):
    # Six weeks instead of twelve keep the test quick and still complete a 4-week period.
    monkeypatch.setattr(history, "WEEKS", 6)
    seed_market()
    return history.seed_history()


def test_history_tells_a_story(short_history):
    today = timezone.localdate()
    scope = Scope(zone_ids=None, since=default_since(today), until=today, today=today)
    packages = Package.objects.filter(person__nhs_number__startswith="9995")
    assert 140 <= packages.count() <= 220  # about 30 a week, and the ones still waiting
    unfilled = {z["zone"]: z for z in selectors.unfilled_by_zone(scope)["zones"]}
    assert unfilled["DARTMOOR"]["packages"] >= 2
    assert unfilled["DARTMOOR"]["hospital_people"] >= 1
    assert selectors.time_to_fill(scope)["placed"] > 100
    assert Offer.objects.filter(status="declined").exists()
    assert HandBack.objects.exists() or packages.filter(brokering_round=2).count() == 0
    assert packages.filter(status=PackageStatus.CANCELLED).exists()
    assert Invoice.objects.filter(status="paid").exists()


def test_history_is_seeded_once(short_history):
    count = Package.objects.count()
    assert history.seed_history() == "Demo history: already there."
    assert Package.objects.count() == count
