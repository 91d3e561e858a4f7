"""The dashboard's reviews and outcomes: reviews due and overdue, weekly hours released by
reviews, reablement ending with no ongoing care, people referred again within 12 months."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from packages.models import PackageStatus, Review, Source
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 2)


@pytest.fixture
def zone(db):
    return factories.ZoneFactory(code="OUT", districts=["ZZ1"])


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC), tick=False)


def _ended(zone, person, *, source=Source.COMMUNITY, ended_on=TODAY - datetime.timedelta(10)):
    return factories.PlacedPackageFactory(
        zone=zone,
        person=person,
        source=source,
        status=PackageStatus.ENDED,
        start_date=ended_on - datetime.timedelta(days=30),
        ended_on=ended_on,
        ended_at=timezone.make_aware(datetime.datetime.combine(ended_on, datetime.time(17))),
    )


def test_the_outcomes_figures(api, commissioner, zone, django_assert_max_num_queries):
    overdue = factories.PlacedPackageFactory(zone=zone, review_due_on=TODAY - datetime.timedelta(1))
    factories.PlacedPackageFactory(zone=zone, review_due_on=TODAY + datetime.timedelta(5))
    factories.PlacedPackageFactory(zone=zone, review_due_on=TODAY + datetime.timedelta(30))
    Review.objects.create(
        package=overdue,
        held_on=TODAY - datetime.timedelta(3),
        outcome="change",
        weekly_hours_before=Decimal("10"),
        created_at=timezone.now(),
    )  # the package now has 5.25 hours: 4.75 released
    alone, followed, again = (factories.PersonFactory() for _ in range(3))
    _ended(zone, alone, source=Source.REABLEMENT)
    _ended(zone, followed, source=Source.REABLEMENT)
    factories.PlacedPackageFactory(
        zone=zone, person=followed, start_date=TODAY - datetime.timedelta(8)
    )
    _ended(zone, again)
    factories.PackageFactory(zone=zone, person=again)  # referred again since

    with django_assert_max_num_queries(12):
        body = (
            api(commissioner)
            .get("/api/v1/dashboard/outcomes/", {"since": "2026-02-01", "until": "2026-03-02"})
            .json()
        )

    assert (body["overdue"], body["due_soon"]) == (1, 1)
    assert (body["reviews"], body["hours_released"]) == (1, "4.75")
    assert (body["reablement_ended"], body["no_ongoing_care_percent"]) == (2, 50.0)
    # The one followed by care and the one referred again since both came back.
    assert (body["people_ended"], body["referred_again"]) == (3, 2)
    assert body["referred_again_percent"] == 66.7


def test_the_outcomes_page_shows_them(page, commissioner, zone):
    factories.PlacedPackageFactory(zone=zone, review_due_on=TODAY - datetime.timedelta(1))
    body = page(commissioner).get("/dashboard/outcomes/").content.decode()
    assert "Reviews overdue" in body and 'id="overdue">1<' in body
