"""Reviews: `review_due_on` (the start date plus the zone's review_after_days), a review
recorded (`end` ends the package), the reviews due, brokers told once, a provider asking."""

import datetime
from decimal import Decimal

import pytest

from notifications.models import Notification
from packages import services
from packages.models import PackageStatus, PersonAccess
from packages.tasks import follow_the_calendar
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def placed(zone, provider_org):
    package = factories.PlacedPackageFactory(
        zone=zone, provider=provider_org, start_date=TODAY - datetime.timedelta(days=45)
    )
    package.review_due_on = package.first_review_due_on
    package.save()
    return package


def _review(api, user, package, **body):
    body = {"held_on": str(TODAY), "outcome": "continue", **body}
    return api(user).post(f"/api/v1/packages/{package.pk}/reviews/", body, format="json")


def test_a_referral_is_due_a_review_42_days_after_it_starts(api, broker, referral):
    body = api(broker).post("/api/v1/packages/", referral, format="json").json()
    assert body["review_due_on"] == "2027-01-04"  # 2026-11-23 + 42 days


def test_the_zone_sets_how_soon_the_first_review_falls(api, admin_user, broker, referral, zone):
    response = api(admin_user).patch(
        f"/api/v1/zones/{zone.code}/", {"review_after_days": 21}, format="json"
    )
    assert response.status_code == 200 and response.json()["review_after_days"] == 21
    body = api(broker).post("/api/v1/packages/", referral, format="json").json()
    assert body["review_due_on"] == "2026-12-14"
    bad = api(admin_user).patch(f"/api/v1/zones/{zone.code}/", {"review_after_days": 0})
    assert bad.status_code == 400 and "review_after_days" in bad.json()


def test_a_review_records_goals_and_sets_the_next(api, broker, placed):
    goals = [
        {"goal": "independence", "status": "partly_met"},
        {"goal": "feel_safe", "status": "met"},
    ]
    response = _review(api, broker, placed, goals=goals, notes="Managing breakfast alone")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["goals"] == goals and body["outcome"] == "continue"
    assert body["weekly_hours_before"] == "5.25"
    placed.refresh_from_db()
    assert placed.review_due_on == TODAY + datetime.timedelta(days=42)
    assert api(broker).get(f"/api/v1/packages/{placed.pk}/reviews/").json()["count"] == 1


def test_the_next_review_date_given_is_kept(api, broker, placed):
    _review(api, broker, placed, next_review_on="2026-03-23")
    placed.refresh_from_db()
    assert placed.review_due_on == datetime.date(2026, 3, 23)


def test_a_review_that_ends_the_package_ends_it_on_the_day_held(api, broker, placed):
    held_on = TODAY - datetime.timedelta(days=2)
    response = _review(api, broker, placed, outcome="end", held_on=str(held_on))
    assert response.status_code == 201
    placed.refresh_from_db()
    assert placed.status == PackageStatus.ENDED and placed.ended_on == held_on
    assert placed.review_due_on is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"held_on": "2026-03-03"}, "held_on"),
        ({"held_on": "2026-01-01"}, "held_on"),
        ({"outcome": "pause"}, "outcome"),
        ({"goals": [{"goal": "independence", "status": "nearly"}]}, "goals"),
        ({"next_review_on": "2026-03-01"}, "next_review_on"),
    ],
)
def test_a_bad_review_answers_400_naming_the_field(api, broker, placed, body, field):
    response = _review(api, broker, placed, **body)
    assert response.status_code == 400 and field in response.json()
    assert not placed.reviews.exists()


def test_only_a_placed_package_is_reviewed(api, broker, zone):
    open_package = factories.OpenPackageFactory(zone=zone)
    assert _review(api, broker, open_package).status_code == 409


def test_a_provider_may_not_record_a_review(api, provider_user, placed):
    assert _review(api, provider_user, placed).status_code == 403


def test_reviews_due_before_a_date(api, broker, placed, zone):
    later = factories.PlacedPackageFactory(zone=zone, start_date=TODAY)
    later.review_due_on = later.first_review_due_on
    later.save()
    due = api(broker).get("/api/v1/reviews/", {"due_before": str(TODAY)}).json()
    assert [row["id"] for row in due["results"]] == [placed.pk]
    both = api(broker).get("/api/v1/reviews/", {"due_before": "2026-06-01"}).json()
    assert [row["id"] for row in both["results"]] == [placed.pk, later.pk]
    assert PersonAccess.objects.filter(user=broker).count() == 3


def test_brokers_are_told_once_when_a_review_falls_due(broker, placed, now):
    assert follow_the_calendar()["reviews_due"] == 1
    assert follow_the_calendar()["reviews_due"] == 0
    (told,) = Notification.objects.filter(kind="review_due")
    assert told.recipient == broker and told.package_id == placed.pk
    assert str(placed.pk) in told.message


def test_a_review_not_yet_due_is_not_told(broker, zone):
    package = factories.PlacedPackageFactory(zone=zone, start_date=TODAY)
    package.review_due_on = package.first_review_due_on
    package.save()
    assert services.tell_reviews_due() == 0


def test_a_provider_asks_for_a_review(api, broker, provider_user, zone, provider_org):
    package = factories.PlacedPackageFactory(zone=zone, provider=provider_org, start_date=TODAY)
    package.review_due_on = package.first_review_due_on
    package.save()
    response = api(provider_user).post(
        f"/api/v1/packages/{package.pk}/review-request/",
        {"reason": "Needs a second carer for transfers"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["review_due_on"] == str(TODAY)
    assert Notification.objects.filter(kind="review_due", recipient=broker).count() == 1
    assert services.tell_reviews_due() == 0
    assert package.events.filter(kind="review_asked").get().detail.startswith("Needs")


def test_another_provider_cannot_ask(api, other_provider_user, placed):
    url = f"/api/v1/packages/{placed.pk}/review-request/"
    assert api(other_provider_user).post(url, {"reason": "x"}).status_code == 404


def test_weekly_hours_before_follow_the_schedule_of_the_day_held(api, broker, placed):
    response = _review(api, broker, placed, outcome="change")
    assert Decimal(response.json()["weekly_hours_before"]) == Decimal("5.25")


def test_a_broker_records_a_review_on_its_page(page, broker, placed):
    response = page(broker).post(
        f"/packages/{placed.pk}/review/",
        {
            "held_on_0": TODAY.day,
            "held_on_1": TODAY.month,
            "held_on_2": TODAY.year,
            "outcome": "continue",
            "goal_independence": "partly_met",
            "notes": "Walking to the shop",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "Review of package" in body and "Independence: partly met" in body
    (review,) = placed.reviews.all()
    assert review.goals == [{"goal": "independence", "status": "partly_met"}]


def test_a_review_form_with_errors_says_so(page, broker, placed):
    response = page(broker).post(f"/packages/{placed.pk}/review/", {"outcome": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "govuk-error-summary" in body and "Choose what happens next" in body


def test_the_reviews_due_page_lists_the_overdue_first(page, broker, placed, zone):
    factories.PlacedPackageFactory(zone=zone, start_date=TODAY + datetime.timedelta(days=60))
    body = page(broker).get("/packages/reviews/").content.decode()
    assert f"Review package {placed.pk}<" in body and "Overdue" in body
    assert "1 review due" in body


def test_a_provider_asks_for_a_review_on_the_package_page(page, broker, provider_user, placed):
    response = page(provider_user).post(
        f"/packages/{placed.pk}/ask-review/", {"ask_review-reason": "Falls at night"}, follow=True
    )
    assert "asked for a review" in response.content.decode()
    assert Notification.objects.filter(kind="review_due", recipient=broker).exists()
