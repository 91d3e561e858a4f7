"""The demo's history: plausible numbers on every dashboard section, and seeding it once."""

import datetime

import pytest
from django.utils import timezone

from brokering.models import Offer
from dashboard import selectors
from dashboard.filters import Scope, default_since
from demo import history
from demo.market import seed_market
from invoicing import rollup
from invoicing.models import DailyDelivery, DeliveredVisit, Invoice
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


def test_history_numbers_are_those_of_a_good_team(short_history):
    """Devon Cares: usually fewer than 5 unfilled; 70% filled within 1.5 hours and
    nearly all within 4 hours once the team is in its stride."""
    today = timezone.localdate()
    recent = Scope(
        zone_ids=None, since=today - datetime.timedelta(weeks=2), until=today, today=today
    )
    assert 1 <= selectors.unfilled_by_zone(recent)["total"]["packages"] <= 8
    assert 55 <= selectors.time_to_fill(recent)["within_90_minutes_percent"] <= 95
    whole = Scope(zone_ids=None, since=default_since(today), until=today, today=today)
    # Hand-backs are rare: placed again days later, they would count as slow fills.
    assert selectors.time_to_fill(whole)["within_4_hours_percent"] >= 85
    breakdown = selectors.time_to_fill_breakdown(whole)
    urgent, standard = (
        next(p for p in breakdown["by_priority"] if p["priority"] == priority)
        for priority in ("urgent", "standard")
    )
    assert urgent["median_minutes"] < 0.8 * standard["median_minutes"]
    # Slower at first: the first weeks fill fewer within 1.5 hours than the last.
    weeks = breakdown["by_week"]
    placed = [w for w in weeks if w["placed"] >= 10]
    assert placed[0]["within_90_minutes_percent"] < placed[-1]["within_90_minutes_percent"]


def test_the_demo_provider_has_its_last_period_of_visits_still_to_send(short_history):
    """The demo's story: the `provider` login uploads a month of visits and invoices it."""
    today = timezone.localdate()
    unsent_from = history._period_start(today) - datetime.timedelta(days=history.PERIOD_DAYS)
    visits = DeliveredVisit.objects.filter(provider__code=history.UNSENT_PROVIDER)
    assert visits.filter(date__lt=unsent_from).exists()
    assert not visits.filter(date__gte=unsent_from).exists()
    invoiced = Invoice.objects.filter(provider__code=history.UNSENT_PROVIDER)
    assert invoiced.exists()
    assert not invoiced.filter(period_end__gte=unsent_from).exists()
    # Others have sent theirs and invoiced the period.
    assert DeliveredVisit.objects.filter(date__gte=unsent_from).exists()
    assert Invoice.objects.filter(period_start=unsent_from).exists()


def test_history_is_seeded_once(short_history):
    count = Package.objects.count()
    assert history.seed_history() == "Demo history: already there."
    assert Package.objects.count() == count


def test_history_keeps_the_delivery_rollup_in_step(short_history):
    kept = set(
        DailyDelivery.objects.values_list(
            "zone_id",
            "date",
            "delivered_minutes",
            "delivered_minute_pounds",
            "payable_minutes",
            "payable_minute_pounds",
        )
    )
    assert len(kept) > 100
    assert kept == set(rollup.recomputed())


def test_each_package_of_the_history_has_its_first_review_due_as_a_referral_would(short_history):
    """Its start date plus its zone's review_after_days, as recording a referral sets it:
    else the Reviews due list and its notices have nothing of the demo's to show."""
    packages = Package.objects.filter(person__nhs_number__startswith="9995").select_related("zone")
    assert packages.exists()
    for package in packages:
        due = package.start_date + datetime.timedelta(days=package.zone.review_after_days)
        assert package.review_due_on == due, package.pk
