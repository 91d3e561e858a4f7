"""Changing a package: PATCH on a draft and an open package, changes from a date on a placed one."""

import datetime
from decimal import Decimal

import pytest

from brokering.models import OfferStatus, WithdrawnBecause
from notifications.models import Notification, NotificationKind
from packages import services
from packages.models import EventKind, Package, PackageStatus
from tests.brokering.factories import OfferFactory
from tests.factories import (
    BrokerFactory,
    OpenPackageFactory,
    PackageFactory,
    PersonFactory,
    PlacedPackageFactory,
    ProviderUserFactory,
    ZoneFactory,
)

pytestmark = pytest.mark.django_db

# Wednesday 12 March 2025, 10:00 in London.
NOW = datetime.datetime(2025, 3, 12, 10, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()
NEXT_MONDAY = datetime.date(2025, 3, 17)
EVENING = {
    "days": ["mon", "wed", "fri"],
    "time": "18:00",
    "duration_minutes": 60,
    "purpose": "meal",
}


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(NOW, tick=False)


def url(package, tail=""):
    return f"/api/v1/packages/{package.pk}/{tail}"


def placed(zone, provider_org, **kwargs):
    """Placed with provider_org since 1 March: a daily 45-minute call at 08:00 (5.25 h)."""
    person = PersonFactory(postcode="EX2 4QD")
    return PlacedPackageFactory(
        zone=zone,
        person=person,
        provider=provider_org,
        start_date=datetime.date(2025, 3, 1),
        **kwargs,
    )


def change_body(**overrides):
    return {
        "effective_from": NEXT_MONDAY.isoformat(),
        "visits": [
            {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "time": "08:00",
                "duration_minutes": 60,
                "purpose": "personal_care",
            },
            EVENING,
        ],
        "reason": "Review: needs more help in the mornings",
        **overrides,
    }


# --- PATCH ---------------------------------------------------------------------


def test_patch_on_a_draft_takes_any_field_of_the_post_body(api, broker, zone):
    draft = PackageFactory(zone=zone, person=PersonFactory(postcode="EX2 4QD"))
    response = api(broker).patch(
        url(draft),
        {
            "priority": "urgent",
            "source": "community",
            "needs": "Needs a hoist",
            "visits": [EVENING],
            "flexible_plan": {"week_hours": [3, 3, 3, 3], "contingency_hours": "1"},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["priority"], body["source"]) == ("draft", "urgent", "community")
    assert body["needs"] == "Needs a hoist"
    assert body["hospital_ready_on"] is None
    assert body["weekly_hours"] == "3.00"
    assert [v["time"] for v in body["visits"]] == ["18:00"]
    assert body["flexible_plan"]["week_hours"] == ["3.00", "3.00", "3.00", "3.00"]
    draft.refresh_from_db()
    assert draft.weekly_hours == Decimal("3.00")
    assert draft.versions.count() == 1  # a draft is edited in place
    assert draft.events.filter(kind=EventKind.UPDATED).exists()


def test_patch_on_a_draft_moves_it_to_the_zone_of_a_new_postcode(api, broker, zone):
    other = ZoneFactory(code="NDV", districts=["EX31"])
    draft = PackageFactory(zone=zone, person=PersonFactory(postcode="EX2 4QD"))
    response = api(broker).patch(url(draft), {"person": {"postcode": "ex31 1aa"}}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["zone"] == "NDV"
    assert response.json()["person"]["postcode"] == "EX31 1AA"
    assert Package.objects.get().zone == other


def test_patch_checks_each_field_it_is_given(api, broker, zone):
    draft = PackageFactory(zone=zone, person=PersonFactory(postcode="EX2 4QD"))
    response = api(broker).patch(
        url(draft),
        {"visits": [{**EVENING, "duration_minutes": 10}], "person": {"nhs_number": "123"}},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"visits", "person"}
    assert draft.current_visits.get().duration_minutes == 45  # nothing half-saved


def test_patch_on_an_open_package_withdraws_its_offers_and_starts_a_new_round(
    api, broker, zone, provider_user, django_capture_on_commit_callbacks
):
    package = OpenPackageFactory(zone=zone, person=PersonFactory(postcode="EX2 4QD"))
    offer = OfferFactory(package=package, provider=provider_user.provider)
    with django_capture_on_commit_callbacks() as callbacks:
        response = api(broker).patch(
            url(package), {"visits": [EVENING], "priority": "urgent"}, format="json"
        )
    assert response.status_code == 200, response.json()
    assert response.json()["weekly_hours"] == "3.00"
    offer.refresh_from_db()
    assert (offer.status, offer.withdrawn_because) == (
        OfferStatus.WITHDRAWN,
        WithdrawnBecause.CHANGED,
    )
    package.refresh_from_db()
    assert package.brokering_round == 2 and package.status == PackageStatus.OPEN
    assert callbacks  # brokering of the new round is enqueued once committed
    told = Notification.objects.get(kind=NotificationKind.OFFER_WITHDRAWN)
    assert told.recipient == provider_user and "package changed" in told.message


def test_the_providers_asked_again_see_the_new_summary(api, broker, zone, provider_user):
    package = OpenPackageFactory(zone=zone, person=PersonFactory(postcode="EX2 4QD"))
    offer = OfferFactory(package=package, provider=provider_user.provider)
    api(broker).patch(url(package), {"visits": [EVENING]}, format="json")
    summary = api(provider_user).get(f"/api/v1/offers/{offer.pk}/").json()["summary"]
    assert summary["weekly_hours"] == "3.00"
    assert [v["time"] for v in summary["visits"]] == ["18:00"]


def test_patch_on_an_open_package_refuses_what_only_a_draft_may_change(api, broker, zone):
    package = OpenPackageFactory(zone=zone, person=PersonFactory(postcode="EX2 4QD"))
    response = api(broker).patch(
        url(package), {"source": "community", "person": {"given_name": "Bo"}}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"source", "person"}
    assert Package.objects.get().brokering_round == 1


@pytest.mark.parametrize("status", ["placed", "ended", "cancelled"])
def test_patch_on_a_package_past_open_conflicts(api, broker, zone, provider_org, status):
    package = placed(zone, provider_org, status=status)
    response = api(broker).patch(url(package), {"priority": "urgent"}, format="json")
    assert response.status_code == 409
    assert Package.objects.get().priority == "standard"


def test_patch_role_matrix(api, zone, provider_user, commissioner):
    draft = PackageFactory(zone=zone, person=PersonFactory(postcode="EX2 4QD"))
    assert api().patch(url(draft), {}, format="json").status_code == 401
    assert api(commissioner).patch(url(draft), {}, format="json").status_code == 403
    assert api(provider_user).patch(url(draft), {}, format="json").status_code == 403
    elsewhere = BrokerFactory(username="limited")
    elsewhere.zones.add(ZoneFactory(code="FAR", districts=["TQ1"]))
    assert api(elsewhere).patch(url(draft), {}, format="json").status_code == 404


# --- changes from a date -------------------------------------------------------


def test_a_change_from_a_future_date_leaves_the_package_as_it_is_until_then(
    api, broker, zone, provider_user, time_machine
):
    package = placed(zone, provider_user.provider)
    response = api(broker).post(url(package, "changes/"), change_body(), format="json")
    assert response.status_code == 201, response.json()
    change = response.json()
    assert change["effective_from"] == "2025-03-17"
    assert change["weekly_hours"] == "10.00"  # 7 x 60 + 3 x 60 minutes
    assert change["number"] == 2 and change["package"] == str(package.pk)

    body = api(broker).get(url(package)).json()
    assert body["weekly_hours"] == "5.25"
    assert [v["duration_minutes"] for v in body["visits"]] == [45]
    assert Package.objects.get().weekly_hours == Decimal("5.25")

    time_machine.move_to(datetime.datetime(2025, 3, 17, 0, 30, tzinfo=datetime.UTC))
    body = api(broker).get(url(package)).json()
    assert body["weekly_hours"] == "10.00"
    assert [v["duration_minutes"] for v in body["visits"]] == [60, 60]
    # The stored hours (what caps and the dashboard add up) follow once the job has run.
    assert services.bring_changes_into_force() == 1
    assert Package.objects.get().weekly_hours == Decimal("10.00")
    assert services.bring_changes_into_force() == 0


def test_a_change_from_today_or_before_holds_at_once(api, broker, zone, provider_org):
    package = placed(zone, provider_org)
    response = api(broker).post(
        url(package, "changes/"), change_body(effective_from="2025-03-10"), format="json"
    )
    assert response.status_code == 201
    assert Package.objects.get().weekly_hours == Decimal("10.00")
    assert api(broker).get(url(package)).json()["weekly_hours"] == "10.00"


def test_changes_are_listed_in_the_order_made(api, broker, zone, provider_user):
    package = placed(zone, provider_user.provider)
    client = api(broker)
    client.post(url(package, "changes/"), change_body(), format="json")
    client.post(
        url(package, "changes/"),
        change_body(effective_from="2025-03-24", visits=[EVENING], reason="Better"),
        format="json",
    )
    listed = api(provider_user).get(url(package, "changes/")).json()
    assert listed["count"] == 2
    assert [c["effective_from"] for c in listed["results"]] == ["2025-03-17", "2025-03-24"]
    assert listed["results"][1]["visits"][0]["time"] == "18:00"
    assert listed["results"][0]["created_by"] == "broker1"


def test_the_provider_is_told_of_a_change_once(api, broker, zone, provider_user):
    package = placed(zone, provider_user.provider)
    api(broker).post(url(package, "changes/"), change_body(), format="json")
    (told,) = Notification.objects.filter(kind=NotificationKind.PACKAGE_CHANGED)
    assert told.recipient == provider_user and told.package_id == package.pk
    assert "17 Mar 2025" in told.message and "10 hours a week (was 5.25)" in told.message
    assert "mornings" not in told.message  # the broker's words stay in the service
    listed = api(provider_user).get("/api/v1/notifications/?kind=package_changed").json()
    assert listed["count"] == 1


@pytest.mark.parametrize(
    ("effective_from", "why"),
    [
        ("2025-02-28", "before the start date"),
        ("2025-04-10", "more than 28 days ahead"),
    ],
)
def test_a_change_starts_between_the_start_date_and_28_days_ahead(
    api, broker, zone, provider_org, effective_from, why
):
    package = placed(zone, provider_org)
    response = api(broker).post(
        url(package, "changes/"), change_body(effective_from=effective_from), format="json"
    )
    assert response.status_code == 400, why
    assert list(response.json()) == ["effective_from"]
    assert package.versions.count() == 1


def test_the_28th_day_ahead_is_the_last_a_change_may_start(api, broker, zone, provider_org):
    package = placed(zone, provider_org)
    response = api(broker).post(
        url(package, "changes/"), change_body(effective_from="2025-04-09"), format="json"
    )
    assert response.status_code == 201


def test_a_change_needs_a_reason_and_good_visits(api, broker, zone, provider_org):
    package = placed(zone, provider_org)
    response = api(broker).post(
        url(package, "changes/"),
        change_body(reason="", visits=[{**EVENING, "carers": 3}]),
        format="json",
    )
    assert response.status_code == 400
    assert {"reason", "visits"} <= set(response.json())


def test_only_a_placed_package_changes_from_a_date(api, broker, zone):
    package = OpenPackageFactory(zone=zone, person=PersonFactory(postcode="EX2 4QD"))
    response = api(broker).post(url(package, "changes/"), change_body(), format="json")
    assert response.status_code == 409


def test_changes_role_matrix(api, zone, provider_user, other_provider_user, commissioner):
    package = placed(zone, provider_user.provider)
    path = url(package, "changes/")
    assert api(provider_user).post(path, change_body(), format="json").status_code == 403
    assert api(commissioner).post(path, change_body(), format="json").status_code == 403
    assert api(commissioner).get(path).status_code == 200
    assert api(other_provider_user).get(path).status_code == 404
    colleague = ProviderUserFactory(provider=provider_user.provider)
    assert api(colleague).get(path).status_code == 200
