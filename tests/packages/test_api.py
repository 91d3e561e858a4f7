"""The /api/v1/packages/ contract: shape, rules, filters, actions and who may do what."""

import datetime

import pytest

from core import clock
from packages.models import (
    EventKind,
    HandBack,
    Package,
    PackageStatus,
    Person,
    PersonAccess,
    Visit,
)
from packages.nhs import demo_nhs_number
from tests.factories import (
    BrokerFactory,
    OpenPackageFactory,
    PackageFactory,
    PersonFactory,
    PlacedPackageFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/packages/"


def post(api, user, body):
    return api(user).post(URL, body, format="json")


def test_create_answers_the_package_as_a_draft(api, broker, referral):
    response = post(api, broker, referral)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["zone"] == "EXE"
    assert body["weekly_hours"] == "11.00"  # 45 x 2 carers x 7 + 15 x 2
    assert body["submitted_at"] is None
    assert body["placed_at"] is None
    assert body["provider"] is None
    assert body["escalated"] is False
    assert body["person"] | {"id": None} == {
        "id": None,
        "nhs_number": "9434765919",
        "given_name": "Ada",
        "family_name": "Ashworth",
        "date_of_birth": "1938-05-17",
        "address_line": "1 Fore Street, Exeter",
        "postcode": "EX2 4QD",
    }
    assert body["source"] == "hospital_discharge"
    assert body["priority"] == "urgent"
    assert body["start_date"] == "2026-11-23"
    assert body["hospital_ready_on"] == "2026-11-22"
    assert [
        (v["days"], v["time"], v["duration_minutes"], v["carers"], v["purpose"])
        for v in body["visits"]
    ] == [
        (["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "08:00", 45, 2, "personal_care"),
        (["mon", "thu"], "12:30", 15, 1, "medication"),
    ]
    assert body["flexible_plan"]["week_hours"] == ["20.00", "10.00", "20.00", "10.00"]
    assert body["flexible_plan"]["contingency_hours"] == "4.00"
    package = Package.objects.get(pk=body["id"])
    assert package.created_by == broker
    assert list(package.events.values_list("kind", flat=True)) == [EventKind.CREATED]


def test_create_without_a_flexible_plan_or_priority(api, broker, referral):
    del referral["flexible_plan"], referral["priority"]
    body = post(api, broker, referral).json()
    assert body["flexible_plan"] is None
    assert body["priority"] == "standard"


def test_start_date_may_lie_in_the_past(api, broker, referral):
    referral["start_date"] = (clock.today() - datetime.timedelta(days=300)).isoformat()
    assert post(api, broker, referral).status_code == 201


def test_same_nhs_number_is_the_same_person(api, broker, referral):
    first = post(api, broker, referral).json()
    referral["person"]["nhs_number"] = "9434765919"
    referral["person"]["family_name"] = "ASHWORTH"  # Case and spacing are not a difference.
    second = post(api, broker, referral).json()
    assert Person.objects.count() == 1
    assert first["person"]["id"] == second["person"]["id"]
    assert Person.objects.get().packages.count() == 2


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        (lambda r: r["person"].update(nhs_number="943 476 5918"), {"person": {"nhs_number"}}),
        (lambda r: r["person"].update(nhs_number="94347659"), {"person": {"nhs_number"}}),
        (lambda r: r["person"].update(postcode="EX2"), {"person": {"postcode"}}),
        (lambda r: r["person"].update(postcode="QQ1 1AA"), {"person": {"postcode"}}),
        (lambda r: r["person"].update(postcode="SW1A 1AA"), {"person": {"postcode"}}),
        # Not EX11 1AA (East Devon's, were it covered): the space starts the inward code.
        (lambda r: r["person"].update(postcode="EX1 11AA"), {"person": {"postcode"}}),
        (lambda r: r["person"].update(postcode="GIR 1AA"), {"person": {"postcode"}}),
        (lambda r: r["person"].update(postcode="EX1 1A\u017f"), {"person": {"postcode"}}),
        (lambda r: r["person"].update(date_of_birth="2999-01-01"), {"person": {"date_of_birth"}}),
        (lambda r: r["person"].pop("given_name"), {"person": {"given_name"}}),
        (lambda r: r.update(visits=[]), {"visits"}),
        (lambda r: r.pop("visits"), {"visits"}),
        (lambda r: r.update(source="walk_in"), {"source"}),
        (lambda r: r.update(priority="soon"), {"priority"}),
        (lambda r: r.pop("start_date"), {"start_date"}),
        (
            lambda r: r.update(flexible_plan={"week_hours": [20, 10, 20]}),
            {"flexible_plan": {"week_hours"}},
        ),
        (
            lambda r: r.update(flexible_plan={"week_hours": [20, -1, 20, 10]}),
            {"flexible_plan": {"week_hours"}},
        ),
        (
            lambda r: r.update(flexible_plan={"week_hours": [1, 1, 1, 1], "contingency_hours": -2}),
            {"flexible_plan": {"contingency_hours"}},
        ),
    ],
)
def test_a_broken_rule_is_a_400_naming_the_field_and_saves_nothing(
    api, broker, referral, change, errors
):
    change(referral)
    response = post(api, broker, referral)
    assert response.status_code == 400
    body = response.json()
    for error in errors:
        if isinstance(error, dict):
            ((outer, inner),) = [(k, v) for k, v in error.items()]
        else:
            outer, inner = error, set()
        assert outer in body, body
        for field in inner:
            assert field in body[outer], body
    assert not Person.objects.exists()
    assert not Package.objects.exists()
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("visit", "field"),
    [
        ({"duration_minutes": 29, "purpose": "personal_care"}, "duration_minutes"),
        ({"duration_minutes": 14, "purpose": "medication"}, "duration_minutes"),
        ({"duration_minutes": 1441, "purpose": "sitting"}, "duration_minutes"),
        ({"duration_minutes": 0, "purpose": "meal"}, "duration_minutes"),
        ({"carers": 0}, "carers"),
        ({"carers": 3}, "carers"),
        ({"days": []}, "days"),
        ({"days": ["mon", "funday"]}, "days"),
        ({"time": "25:00"}, "time"),
        ({"time": "8am"}, "time"),
        ({"purpose": "gardening"}, "purpose"),
    ],
)
def test_a_visit_breaking_a_rule_is_named_by_its_position(api, broker, referral, visit, field):
    referral["visits"][1].update(visit)
    response = post(api, broker, referral)
    assert response.status_code == 400
    body = response.json()
    # DRF's shape for a list: errors keyed by the position of the visit that breaks a rule.
    assert set(body["visits"]) == {"1"}, body
    assert field in body["visits"]["1"], body
    assert not Package.objects.exists()


@pytest.mark.parametrize(
    ("minutes", "purpose"), [(30, "personal_care"), (15, "medication"), (1440, "sitting")]
)
def test_visit_durations_at_the_limits_are_accepted(api, broker, referral, minutes, purpose):
    referral["visits"] = [
        {"days": ["sun"], "time": "09:00", "duration_minutes": minutes, "purpose": purpose}
    ]
    assert post(api, broker, referral).status_code == 201


def test_days_are_stored_in_calendar_order_once(api, broker, referral):
    referral["visits"] = [
        {"days": ["fri", "Mon", "fri"], "time": "09:00", "duration_minutes": 30, "purpose": "meal"}
    ]
    body = post(api, broker, referral).json()
    assert body["visits"][0]["days"] == ["mon", "fri"]
    assert body["weekly_hours"] == "1.00"


def test_a_zone_limited_broker_cannot_record_outside_its_zones(api, referral, other_zone):
    broker = BrokerFactory(username="north")
    broker.zones.add(other_zone)
    response = post(api, broker, referral)
    assert response.status_code == 400
    assert "outside the zones you broker" in response.json()["person"]["postcode"][0]


def test_the_list_filters_by_status_zone_provider_priority_source_and_escalated(
    api, broker, zone, other_zone, provider_org
):
    draft = PackageFactory(zone=zone, priority="urgent")
    open_ = OpenPackageFactory(zone=other_zone, source="community", escalated=True)
    placed = PlacedPackageFactory(zone=zone, provider=provider_org, source="reablement")
    client = api(broker)

    def ids(query):
        response = client.get(URL + query)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids("") == {draft.pk, open_.pk, placed.pk}
    assert ids("?status=open") == {open_.pk}
    assert ids("?status=open&status=draft") == {open_.pk, draft.pk}
    assert ids("?zone=EXE") == {draft.pk, placed.pk}
    assert ids("?provider=PROV-A") == {placed.pk}
    assert ids("?priority=urgent") == {draft.pk}
    assert ids("?source=community") == {open_.pk}
    assert ids("?escalated=true") == {open_.pk}
    assert client.get(URL + "?status=lost").status_code == 400
    assert client.get(URL + "?zone=NOWHERE").status_code == 400


def test_the_list_is_paginated_up_to_500(api, commissioner, zone):
    PackageFactory.create_batch(3, zone=zone)
    body = api(commissioner).get(URL + "?page_size=2").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


def test_submit_opens_the_package_and_starts_a_round(
    api, broker, zone, django_capture_on_commit_callbacks
):
    package = PackageFactory(zone=zone)
    response = api(broker).post(f"{URL}{package.pk}/submit/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "open"
    assert body["submitted_at"] is not None
    assert body["brokering_round"] == 1
    assert body["escalated"] is False


def test_cancel_needs_a_reason(api, broker, zone):
    package = OpenPackageFactory(zone=zone)
    client = api(broker)
    response = client.post(f"{URL}{package.pk}/cancel/", {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    response = client.post(
        f"{URL}{package.pk}/cancel/", {"reason": "Family will care"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancel_reason"] == "Family will care"


def test_hand_back_by_the_placed_provider_reopens_the_package(
    api, provider_user, provider_org, zone
):
    package = PlacedPackageFactory(zone=zone, provider=provider_org)
    response = api(provider_user).post(
        f"{URL}{package.pk}/hand-back/", {"reason": "No carers in the area"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["provider"], body["placed_at"]) == ("open", None, None)
    assert body["brokering_round"] == 2
    hand_back = HandBack.objects.get()
    assert (hand_back.provider, hand_back.reason) == (provider_org, "No carers in the area")
    # Handed back, it is no longer theirs to see.
    assert api(provider_user).get(f"{URL}{package.pk}/").status_code == 404


def test_end_a_placed_package(api, broker, zone):
    package = PlacedPackageFactory(zone=zone)
    response = api(broker).post(f"{URL}{package.pk}/end/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "ended"
    assert response.json()["ended_on"] is not None


@pytest.mark.parametrize(
    ("factory", "action", "body"),
    [
        (OpenPackageFactory, "submit", {}),
        (PlacedPackageFactory, "submit", {}),
        (PlacedPackageFactory, "cancel", {"reason": "x"}),
        (PackageFactory, "end", {}),
        (OpenPackageFactory, "end", {}),
    ],
)
def test_a_transition_the_status_forbids_is_a_409(api, admin_user, zone, factory, action, body):
    package = factory(zone=zone)
    response = api(admin_user).post(f"{URL}{package.pk}/{action}/", body, format="json")
    assert response.status_code == 409
    assert "cannot be" in response.json()["detail"]


def test_hand_back_of_an_ended_package_is_a_409(api, provider_user, provider_org, zone):
    package = PlacedPackageFactory(zone=zone, provider=provider_org, status=PackageStatus.ENDED)
    response = api(provider_user).post(
        f"{URL}{package.pk}/hand-back/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 409


# --- who may do what -------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 401),
        ("admin", 201),
        ("broker", 201),
        ("commissioner", 403),
        ("finance", 403),
        ("provider", 403),
    ],
)
def test_who_may_record_a_package(api, users, referral, role, expected):
    assert post(api, users.get(role), referral).status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 401),
        ("admin", 200),
        ("broker", 200),
        ("commissioner", 200),
        ("finance", 200),
        ("provider", 200),
        ("other_provider", 404),
    ],
)
def test_who_may_read_a_placed_package(api, users, provider_org, zone, role, expected):
    package = PlacedPackageFactory(zone=zone, provider=provider_org)
    assert api(users.get(role)).get(f"{URL}{package.pk}/").status_code == expected


@pytest.mark.parametrize("status", ["draft", "open"])
def test_a_provider_never_sees_an_unplaced_package(api, users, zone, status):
    package = PackageFactory(zone=zone, status=status)
    client = api(users["provider"])
    assert client.get(f"{URL}{package.pk}/").status_code == 404
    assert client.get(URL).json()["count"] == 0


def test_a_provider_lists_only_packages_placed_with_it(
    api, users, provider_org, other_provider_org, zone
):
    ours = PlacedPackageFactory(zone=zone, provider=provider_org)
    PlacedPackageFactory(zone=zone, provider=other_provider_org)
    body = api(users["provider"]).get(URL).json()
    assert [row["id"] for row in body["results"]] == [ours.pk]
    assert body["results"][0]["person"]["nhs_number"] == ours.person.nhs_number


def test_a_zone_limited_broker_sees_only_its_zones(api, zone, other_zone):
    broker = BrokerFactory(username="north")
    broker.zones.add(other_zone)
    mine = OpenPackageFactory(zone=other_zone)
    theirs = OpenPackageFactory(zone=zone)
    client = api(broker)
    assert [row["id"] for row in client.get(URL).json()["results"]] == [mine.pk]
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.post(f"{URL}{theirs.pk}/submit/").status_code == 404


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 401),
        ("admin", 200),
        ("broker", 200),
        ("commissioner", 403),
        ("finance", 403),
        ("provider", 403),
    ],
)
@pytest.mark.parametrize(
    ("factory", "action", "body"),
    [
        (PackageFactory, "submit", {}),
        (OpenPackageFactory, "cancel", {"reason": "Moved away"}),
        (PlacedPackageFactory, "end", {}),
    ],
)
def test_who_may_submit_cancel_and_end(api, users, zone, role, expected, factory, action, body):
    package = factory(zone=zone)
    response = api(users.get(role)).post(f"{URL}{package.pk}/{action}/", body, format="json")
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 401),
        ("admin", 200),
        ("broker", 403),
        ("commissioner", 403),
        ("finance", 403),
        ("provider", 200),
        ("other_provider", 404),
    ],
)
def test_who_may_hand_back(api, users, provider_org, zone, role, expected):
    package = PlacedPackageFactory(zone=zone, provider=provider_org)
    response = api(users.get(role)).post(
        f"{URL}{package.pk}/hand-back/", {"reason": "Lost staff"}, format="json"
    )
    assert response.status_code == expected


# --- the access log --------------------------------------------------------------


def test_every_read_of_a_package_logs_a_view_of_its_person(api, commissioner, zone):
    package = OpenPackageFactory(zone=zone)
    client = api(commissioner)
    client.get(f"{URL}{package.pk}/", REMOTE_ADDR="10.1.2.3")
    client.get(f"{URL}{package.pk}/")
    accesses = list(PersonAccess.objects.order_by("at"))
    assert len(accesses) == 2
    assert {(a.person_id, a.user_id) for a in accesses} == {(package.person_id, commissioner.pk)}
    assert accesses[0].ip_address == "10.1.2.3"
    assert accesses[0].via == f"GET {URL}{package.pk}/"


def test_a_list_logs_one_view_per_person_shown(api, finance, zone):
    person = PersonFactory()
    PackageFactory.create_batch(2, zone=zone, person=person)
    OpenPackageFactory(zone=zone, person=PersonFactory(nhs_number=demo_nhs_number(9000)))
    api(finance).get(URL)
    assert PersonAccess.objects.filter(user=finance).count() == 2


def test_a_provider_is_logged_too(api, provider_user, provider_org, zone):
    package = PlacedPackageFactory(zone=zone, provider=provider_org)
    api(provider_user).get(f"{URL}{package.pk}/")
    assert PersonAccess.objects.filter(user=provider_user, person=package.person).exists()


def test_list_queries_do_not_grow_with_packages(
    api, commissioner, zone, django_assert_max_num_queries
):
    client = api(commissioner)
    PlacedPackageFactory.create_batch(2, zone=zone, provider=ProviderFactory())
    with django_assert_max_num_queries(8) as few:
        client.get(URL)
    PlacedPackageFactory.create_batch(20, zone=zone, provider=ProviderFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).json()["count"] == 22


def test_at_most_fifty_visits(api, broker, referral):
    referral["visits"] = [referral["visits"][0]] * 51
    response = post(api, broker, referral)
    assert response.status_code == 400
    assert "at most 50 visits" in response.json()["visits"][0]


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.update(person="Ada"),
        lambda r: r.update(visits={"days": ["mon"]}),
        lambda r: r["visits"][0].update(days="mon"),
        lambda r: r["visits"][0].update(time=800),
        lambda r: r["visits"][0].update(duration_minutes="long"),
        lambda r: r["person"].update(nhs_number=9434765919.5),
        lambda r: r["person"].update(date_of_birth="17/05/1938"),
        lambda r: r.update(flexible_plan={"week_hours": ["a", 1, 1, 1]}),
        lambda r: r.update(flexible_plan={"week_hours": [10**9, 1, 1, 1]}),
        lambda r: r.update(flexible_plan=[1, 2]),
        lambda r: r.update(start_date=None),
    ],
)
def test_malformed_bodies_are_a_400_never_a_500(api, broker, referral, change):
    change(referral)
    assert post(api, broker, referral).status_code == 400
    assert not Package.objects.exists()


def test_nhs_number_in_the_api_may_be_spaced_as_printed(api, broker, referral):
    referral["person"]["nhs_number"] = "943-476-5919"
    assert post(api, broker, referral).json()["person"]["nhs_number"] == "9434765919"


def test_a_day_that_is_not_one_of_the_seven_is_named_with_the_seven(api, broker, referral):
    referral["visits"][0]["days"] = ["monday"]
    response = post(api, broker, referral)
    assert response.status_code == 400
    assert "mon, tue, wed, thu, fri, sat, sun" in response.json()["visits"]["0"]["days"][0]
