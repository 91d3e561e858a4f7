"""The package pages: who may open them, recording a referral, the lists and the actions."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from packages.models import EventKind, Package, PackageStatus, Person, PersonAccess
from tests.brokering.factories import OfferFactory
from tests.factories import (
    BrokerFactory,
    FlexiblePlanFactory,
    OpenPackageFactory,
    PackageFactory,
    PersonFactory,
    PlacedPackageFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ["admin", "broker", "commissioner", "finance", "provider"]


def referral_form(**changes):
    """The POST of the referral page for a hospital discharge with a double-handed call."""
    data = {
        "nhs_number": "943 476 5919",
        "given_name": "Ada",
        "family_name": "Ashworth",
        "date_of_birth_0": "17",
        "date_of_birth_1": "5",
        "date_of_birth_2": "1938",
        "address_line": "1 Fore Street, Exeter",
        "postcode": "ex2 4qd",
        "source": "hospital_discharge",
        "hospital_ready_on_0": "22",
        "hospital_ready_on_1": "11",
        "hospital_ready_on_2": "2026",
        "priority": "urgent",
        "start_date_0": "23",
        "start_date_1": "11",
        "start_date_2": "2026",
        "needs": "",
        "visits-TOTAL_FORMS": "2",
        "visits-INITIAL_FORMS": "0",
        "visits-MIN_NUM_FORMS": "1",
        "visits-MAX_NUM_FORMS": "1000",
        "visits-0-days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "visits-0-time": "08:00",
        "visits-0-duration_minutes": "45",
        "visits-0-carers": "2",
        "visits-0-purpose": "personal_care",
        "visits-1-days": ["mon", "thu"],
        "visits-1-time": "12:30",
        "visits-1-duration_minutes": "15",
        "visits-1-carers": "1",
        "visits-1-purpose": "medication",
        "action": "draft",
    }
    data.update(changes)
    return data


def expected(role, allowed, refused=403):
    return 200 if role in allowed else refused


# --- who may open what -----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/packages/worklist/", {"admin", "broker"}),
        ("/packages/drafts/", {"admin", "broker"}),
        ("/packages/all/", {"admin", "broker", "commissioner", "finance"}),
        ("/packages/ours/", {"provider"}),
        ("/packages/new/", {"admin", "broker"}),
        ("/packages/worklist/?format=csv", {"admin", "broker"}),
        ("/packages/drafts/?format=csv", {"admin", "broker"}),
        ("/packages/all/?format=csv", {"admin", "broker", "commissioner", "finance"}),
        ("/packages/ours/?format=csv", {"provider"}),
    ],
)
def test_list_and_form_pages_by_role(page, users, url, allowed):
    assert page().get(url).status_code == 302
    assert page().get(url)["Location"].startswith("/accounts/login/")
    for role in ROLES:
        assert page(users[role]).get(url).status_code == expected(role, allowed), role


def test_the_packages_root_leads_to_each_roles_first_page(page, broker):
    assert (
        page(broker).get("/packages/", follow=True).redirect_chain[-1][0] == "/packages/worklist/"
    )


@pytest.mark.parametrize("url", ["/packages/new/zone/", "/packages/new/person/"])
def test_live_checks_by_role(page, users, zone, url):
    assert page().post(url).status_code == 302
    for role in ROLES:
        assert page(users[role]).post(url, {}).status_code == expected(role, {"admin", "broker"})
    assert page(users["broker"]).get(url).status_code == 405


def test_package_page_by_role(page, users, provider_org, zone):
    package = PlacedPackageFactory(zone=zone, provider=provider_org)
    url = f"/packages/{package.pk}/"
    assert page().get(url).status_code == 302
    for role in ROLES:
        assert page(users[role]).get(url).status_code == 200, role
    assert page(users["other_provider"]).get(url).status_code == 404
    assert page(users["broker"]).get("/packages/999999/").status_code == 404


@pytest.mark.parametrize("status", ["draft", "open"])
def test_a_provider_cannot_open_an_unplaced_package(page, users, zone, status):
    package = PackageFactory(zone=zone, status=status)
    assert page(users["provider"]).get(f"/packages/{package.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("factory", "action", "data"),
    [
        (PackageFactory, "submit", {}),
        (OpenPackageFactory, "cancel", {"cancel-reason": "Moved away"}),
        (PlacedPackageFactory, "end", {}),
    ],
)
def test_broker_actions_by_role(page, users, zone, factory, action, data):
    for role in [None, *ROLES]:
        package = factory(zone=zone)
        response = page(users.get(role)).post(f"/packages/{package.pk}/{action}/", data)
        if role is None:
            assert response["Location"].startswith("/accounts/login/")
        elif role in ("admin", "broker"):
            assert response.status_code == 302, role
            assert response["Location"] == f"/packages/{package.pk}/"
        else:
            assert response.status_code == 403, role


def test_hand_back_by_role(page, users, provider_org, zone):
    for role in ["broker", "commissioner", "finance"]:
        package = PlacedPackageFactory(zone=zone, provider=provider_org)
        url = f"/packages/{package.pk}/hand-back/"
        assert page(users[role]).post(url, {"hand_back-reason": "x"}).status_code == 403
    package = PlacedPackageFactory(zone=zone, provider=provider_org)
    url = f"/packages/{package.pk}/hand-back/"
    assert page(users["other_provider"]).post(url, {"hand_back-reason": "x"}).status_code == 404
    response = page(users["provider"]).post(url, {"hand_back-reason": "No carers left"})
    assert response["Location"] == "/packages/ours/"
    package.refresh_from_db()
    assert (package.status, package.provider) == ("open", None)
    admin_package = PlacedPackageFactory(zone=zone, provider=provider_org)
    response = page(users["admin"]).post(
        f"/packages/{admin_package.pk}/hand-back/", {"hand_back-reason": "On their behalf"}
    )
    assert response["Location"] == f"/packages/{admin_package.pk}/"


def test_a_zone_limited_broker_works_only_in_its_zones(page, zone, other_zone):
    broker = BrokerFactory(username="north")
    broker.zones.add(other_zone)
    theirs = OpenPackageFactory(zone=zone)
    mine = OpenPackageFactory(zone=other_zone)
    client = page(broker)
    worklist = client.get("/packages/worklist/")
    assert list(worklist.context["page"]) == [mine]
    assert list(client.get("/packages/all/").context["page"]) == [mine]
    assert client.get(f"/packages/{theirs.pk}/").status_code == 404
    assert client.post(f"/packages/{theirs.pk}/submit/").status_code == 404
    response = client.post("/packages/new/", referral_form(action="check"))
    assert "outside the zones you broker" in response.content.decode()
    assert not Package.objects.filter(person__nhs_number="9434765919").exists()


# --- recording a referral ---------------------------------------------------------


def test_record_a_referral_as_a_draft(page, broker, zone):
    response = page(broker).post("/packages/new/", referral_form())
    package = Package.objects.get()
    assert response["Location"] == f"/packages/{package.pk}/"
    assert package.status == PackageStatus.DRAFT
    assert package.zone == zone
    assert str(package.weekly_hours) == "11.00"
    assert package.hospital_ready_on == datetime.date(2026, 11, 22)
    assert package.person.nhs_number == "9434765919"
    assert package.person.postcode == "EX2 4QD"
    assert [(v.days, v.carers) for v in package.current_visits.order_by("time")] == [
        (["mon", "tue", "wed", "thu", "fri", "sat", "sun"], 2),
        (["mon", "thu"], 1),
    ]
    assert package.current_plan is None


def test_record_and_submit_with_a_flexible_plan(page, broker, zone):
    data = referral_form(action="check")
    data.update(
        {
            "plan-use_plan": "on",
            "plan-week1_hours": "12",
            "plan-week2_hours": "10",
            "plan-week3_hours": "12",
            "plan-week4_hours": "10",
            "plan-contingency_hours": "3",
        }
    )
    client = page(broker)
    check = client.post("/packages/new/", data)["Location"]  # the answers, to check first
    assert not Package.objects.exists()
    client.post(check, {"action": "submit"})
    package = Package.objects.get()
    assert package.status == PackageStatus.OPEN
    assert [str(h) for h in package.current_plan.week_hours] == [
        "12.00",
        "10.00",
        "12.00",
        "10.00",
    ]
    assert str(package.current_plan.contingency_hours) == "3.00"
    assert [e.kind for e in package.events.all()] == [EventKind.CREATED, EventKind.SUBMITTED]


def test_a_removed_visit_is_not_saved(page, broker, zone):
    page(broker).post("/packages/new/", referral_form(**{"visits-1-DELETE": "on"}))
    assert Package.objects.get().current_visits.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nhs_number": "943 476 5918"}, "Enter a valid 10-digit NHS number"),
        ({"postcode": "EX2"}, "Enter a real UK postcode"),
        ({"postcode": "SW1A 1AA"}, "No zone covers"),
        ({"date_of_birth_0": "31", "date_of_birth_1": "2"}, "must be a real date"),
        ({"date_of_birth_2": ""}, "must include a day, month and year"),
        ({"hospital_ready_on_0": ""}, "must include a day, month and year"),
        (
            {"hospital_ready_on_0": "", "hospital_ready_on_1": "", "hospital_ready_on_2": ""},
            "Enter the date the person is ready to leave hospital",
        ),
        ({"source": ""}, "Choose where the referral comes from"),
        ({"visits-0-duration_minutes": "29"}, "at least 30 minutes"),
        ({"visits-1-duration_minutes": "14"}, "at least 15 minutes"),
        ({"visits-0-duration_minutes": "1441"}, "at most 1440 minutes"),
        ({"visits-0-carers": "3"}, "Select a valid choice"),
        ({"visits-0-days": []}, "Choose at least one day"),
        ({"visits-0-time": "25:00"}, "Enter a real time"),
        (
            {"visits-0-DELETE": "on", "visits-1-DELETE": "on"},
            "Add at least one visit",
        ),
        ({"plan-use_plan": "on", "plan-week1_hours": "-1"}, "Hours cannot be negative"),
        ({"plan-use_plan": "on"}, "Enter the hours for week 1"),
    ],
)
def test_each_problem_is_shown_in_the_summary_and_nothing_is_saved(
    page, broker, zone, changes, message
):
    response = page(broker).post("/packages/new/", referral_form(action="check", **changes))
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert not Package.objects.exists()
    assert not Person.objects.exists()


def test_hospital_ready_date_is_optional_for_other_sources(page, broker, zone):
    data = referral_form(source="community")
    for part in "012":
        data[f"hospital_ready_on_{part}"] = ""
    page(broker).post("/packages/new/", data)
    assert Package.objects.get().hospital_ready_on is None


def test_the_form_shows_the_weekly_hours_of_the_visits(page, broker, zone):
    response = page(broker).post("/packages/new/", referral_form(given_name=""))
    assert response.context["weekly_hours"] == 11


def test_the_zone_is_shown_as_the_postcode_is_typed(page, broker, zone):
    client = page(broker)
    assert (
        "Exeter</strong> (EXE)"
        in client.post("/packages/new/zone/", {"postcode": "ex24qd"}).content.decode()
    )
    assert (
        "No zone covers"
        in client.post("/packages/new/zone/", {"postcode": "SW1A 1AA"}).content.decode()
    )
    assert (
        "real UK postcode"
        in client.post("/packages/new/zone/", {"postcode": "EX2 4Q"}).content.decode()
    )
    assert client.post("/packages/new/zone/", {"postcode": "EX"}).content.decode().strip() == ""


def test_a_known_person_is_recognised_with_their_packages(page, broker, zone):
    person = PersonFactory(nhs_number="9434765919", given_name="Ada", family_name="Ashworth")
    earlier = PlacedPackageFactory(zone=zone, person=person)
    html = (
        page(broker).post("/packages/new/person/", {"nhs_number": "943 476 5919"}).content.decode()
    )
    assert "943 476 5919</strong> is valid" in html
    assert "Known person: Ada Ashworth" in html
    assert f"Package {earlier.pk}" in html
    access = PersonAccess.objects.get()
    assert (access.person, access.user, access.via) == (person, broker, "/packages/new/person/")


def test_an_unknown_or_invalid_nhs_number(page, broker, zone):
    client = page(broker)
    html = client.post("/packages/new/person/", {"nhs_number": "9434765919"}).content.decode()
    assert "is valid" in html and "Known person" not in html
    assert (
        "valid 10-digit"
        in client.post("/packages/new/person/", {"nhs_number": "9434765918"}).content.decode()
    )
    assert (
        client.post("/packages/new/person/", {"nhs_number": "94347"}).content.decode().strip() == ""
    )
    assert not PersonAccess.objects.exists()


def test_a_second_referral_for_a_known_person_reuses_them(page, broker, zone):
    person = PersonFactory(
        nhs_number="9434765919",
        given_name="Ada",
        family_name="Ashworth",
        date_of_birth=datetime.date(1938, 5, 17),
        address_line="1 Fore Street, Exeter",
        postcode="EX2 4QD",
    )
    page(broker).post("/packages/new/", referral_form())
    assert person.packages.count() == 1
    assert Person.objects.count() == 1


# --- the lists --------------------------------------------------------------------


def test_worklist_is_open_packages_urgent_first_then_longest_waiting(page, broker, zone):
    now = timezone.now()
    standard_old = OpenPackageFactory(zone=zone, submitted_at=now - datetime.timedelta(hours=5))
    urgent_new = OpenPackageFactory(
        zone=zone, priority="urgent", submitted_at=now - datetime.timedelta(minutes=5)
    )
    urgent_old = OpenPackageFactory(
        zone=zone, priority="urgent", submitted_at=now - datetime.timedelta(hours=2)
    )
    handed_back = OpenPackageFactory(
        zone=zone,
        submitted_at=now - datetime.timedelta(days=30),
        waiting_since=now - datetime.timedelta(minutes=1),
    )
    escalated = OpenPackageFactory(
        zone=zone, escalated=True, submitted_at=now - datetime.timedelta(hours=1)
    )
    PackageFactory(zone=zone)
    PlacedPackageFactory(zone=zone)
    response = page(broker).get("/packages/worklist/")
    assert list(response.context["page"]) == [
        urgent_old,
        urgent_new,
        standard_old,
        escalated,
        handed_back,
    ]
    html = response.content.decode()
    assert "Escalated" in html
    assert "5\xa0hours" in html  # timesince joins with non-breaking spaces
    assert 'hx-trigger="every 30s"' in html


def test_worklist_refresh_answers_only_the_table(page, broker, zone):
    OpenPackageFactory(zone=zone)
    response = page(broker).get("/packages/worklist/?priority=standard", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="worklist"')
    assert "<html" not in html


def test_worklist_filters(page, broker, zone, other_zone):
    here = OpenPackageFactory(zone=zone, source="community")
    there = OpenPackageFactory(zone=other_zone, priority="urgent", escalated=True)
    client = page(broker)

    def shown(query):
        return list(client.get("/packages/worklist/" + query).context["page"])

    assert shown("?zone=EXE") == [here]
    assert shown("?priority=urgent") == [there]
    assert shown("?source=community") == [here]
    assert shown("?escalated=true") == [there]


def test_drafts_list_only_drafts(page, broker, zone):
    draft = PackageFactory(zone=zone)
    OpenPackageFactory(zone=zone)
    assert list(page(broker).get("/packages/drafts/").context["page"]) == [draft]


def test_all_packages_filters(page, commissioner, zone, provider_org):
    draft = PackageFactory(zone=zone)
    placed = PlacedPackageFactory(zone=zone, provider=provider_org)
    client = page(commissioner)
    assert set(client.get("/packages/all/").context["page"]) == {draft, placed}
    assert list(client.get("/packages/all/?status=placed").context["page"]) == [placed]
    assert list(client.get("/packages/all/?provider=PROV-A").context["page"]) == [placed]


def test_list_csv_has_no_identity(page, commissioner, zone):
    package = OpenPackageFactory(zone=zone)
    body = b"".join(page(commissioner).get("/packages/all/?format=csv").streaming_content).decode()
    header, row = body.strip().splitlines()
    assert header.startswith("id,status,zone,postcode_district")
    assert row.startswith(f"{package.pk},open,EXE,")
    assert package.person.family_name not in body
    assert package.person.nhs_number not in body


def test_worklist_csv(page, broker, zone):
    package = OpenPackageFactory(
        zone=zone, submitted_at=timezone.now() - datetime.timedelta(minutes=90)
    )
    body = b"".join(page(broker).get("/packages/worklist/?format=csv").streaming_content).decode()
    header, row = body.strip().splitlines()
    assert "waiting_minutes" in header
    assert row.startswith(f"{package.pk},EXE,") and ",90," in row


def test_worklist_csv_has_the_brokering_facts_the_table_shows(page, broker, zone):
    package = OpenPackageFactory(
        zone=zone, submitted_at=timezone.now() - datetime.timedelta(hours=5), brokering_round=2
    )
    holder = ProviderFactory(code="HOLDER")
    OfferFactory(package=package, provider=holder, round=2)
    OfferFactory(
        package=package,
        round=1,
        status="declined",
        answered_at=timezone.now(),
        decline_reason="no_capacity",
    )
    OfferFactory(package=package, round=1, status="expired")

    body = b"".join(page(broker).get("/packages/worklist/?format=csv").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))

    assert len(rows) == 1
    facts = {
        k: rows[0][k]
        for k in ("fill_overdue", "offer_held_by", "round", "declined", "expired", "handed_back")
    }
    # Standard, 5 hours since submit: past the zone's 4-hour target.
    assert facts == {
        "fill_overdue": "yes",
        "offer_held_by": "HOLDER",
        "round": "2",
        "declined": "1",
        "expired": "1",
        "handed_back": "no",
    }
    assert rows[0]["answer_by"]


def test_provider_sees_its_packages_with_identity_and_each_view_is_logged(
    page, users, provider_org, other_provider_org, zone
):
    ours = PlacedPackageFactory(zone=zone, provider=provider_org)
    ended = PlacedPackageFactory(zone=zone, provider=provider_org, status=PackageStatus.ENDED)
    PlacedPackageFactory(zone=zone, provider=other_provider_org)
    OpenPackageFactory(zone=zone)
    client = page(users["provider"])
    response = client.get("/packages/ours/")
    assert set(response.context["page"]) == {ours, ended}
    assert ours.person.nhs_number_display in response.content.decode()
    assert set(PersonAccess.objects.values_list("person_id", flat=True)) == {
        ours.person_id,
        ended.person_id,
    }
    assert list(client.get("/packages/ours/?status=ended").context["page"]) == [ended]
    body = b"".join(client.get("/packages/ours/?format=csv").streaming_content).decode()
    assert ours.person.nhs_number in body
    assert PersonAccess.objects.count() == 5


# --- a package --------------------------------------------------------------------


def test_package_page_shows_details_grid_plan_and_timeline(page, broker, zone):
    package = PackageFactory(
        zone=zone,
        visits=[
            {
                "days": ["mon", "wed"],
                "time": datetime.time(8),
                "duration_minutes": 30,
                "carers": 2,
                "purpose": "personal_care",
            },
            {
                "days": ["mon"],
                "time": datetime.time(18),
                "duration_minutes": 15,
                "carers": 1,
                "purpose": "medication",
            },
        ],
    )
    FlexiblePlanFactory(package=package)
    client = page(broker)
    client.post(f"/packages/{package.pk}/submit/")
    response = client.get(f"/packages/{package.pk}/")
    html = response.content.decode()
    grid = response.context["grid"]["rows"]
    assert [row["time"] for row in grid] == [datetime.time(8), datetime.time(18)]
    assert [len(cell) for cell in grid[0]["cells"]] == [1, 0, 1, 0, 0, 0, 0]
    assert html.count("app-visit-grid__cell--double") == 2
    assert package.person.nhs_number_display in html
    assert "Flexible 4-week plan" in html and "64 h" in html
    assert "Submitted for brokering" in html and broker.username in html


def test_every_view_of_the_package_page_is_logged(page, commissioner, zone):
    package = OpenPackageFactory(zone=zone)
    client = page(commissioner)
    client.get(f"/packages/{package.pk}/", REMOTE_ADDR="198.51.100.4")
    client.get(f"/packages/{package.pk}/")
    accesses = PersonAccess.objects.filter(person=package.person, user=commissioner)
    assert accesses.count() == 2
    assert accesses.filter(ip_address="198.51.100.4", via=f"/packages/{package.pk}/").exists()


def test_lists_without_identity_are_not_logged(page, broker, zone):
    OpenPackageFactory(zone=zone)
    PackageFactory(zone=zone)
    client = page(broker)
    for url in ["/packages/worklist/", "/packages/drafts/", "/packages/all/"]:
        client.get(url)
    assert not PersonAccess.objects.exists()


def test_a_provider_timeline_leaves_out_other_providers(
    page, users, provider_org, other_provider_org, zone
):
    package = PlacedPackageFactory(zone=zone, provider=provider_org)
    package.events.create(kind=EventKind.DECLINED, at=timezone.now(), provider=other_provider_org)
    package.events.create(kind=EventKind.PLACED, at=timezone.now(), provider=provider_org)
    events = page(users["provider"]).get(f"/packages/{package.pk}/").context["events"]
    assert [e.kind for e in events] == [EventKind.PLACED]


def test_submitting_twice_shows_why_it_is_refused(page, broker, zone):
    package = PackageFactory(zone=zone)
    client = page(broker)
    client.post(f"/packages/{package.pk}/submit/")
    response = client.post(f"/packages/{package.pk}/submit/", follow=True)
    assert "This package is open (unfilled): it cannot be submitted." in response.content.decode()


def test_cancel_needs_a_reason_on_the_page(page, broker, zone):
    package = OpenPackageFactory(zone=zone)
    client = page(broker)
    response = client.post(f"/packages/{package.pk}/cancel/", {"cancel-reason": ""})
    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()
    client.post(f"/packages/{package.pk}/cancel/", {"cancel-reason": "Family will care"})
    package.refresh_from_db()
    assert (package.status, package.cancel_reason) == ("cancelled", "Family will care")


def test_end_refuses_a_future_day(page, broker, zone):
    package = PlacedPackageFactory(zone=zone)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = page(broker).post(
        f"/packages/{package.pk}/end/",
        {
            "end-ended_on_0": tomorrow.day,
            "end-ended_on_1": tomorrow.month,
            "end-ended_on_2": tomorrow.year,
        },
    )
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    package.refresh_from_db()
    assert package.status == PackageStatus.PLACED


# --- query counts -----------------------------------------------------------------


def test_worklist_queries_do_not_grow_with_packages(
    page, broker, zone, django_assert_max_num_queries
):
    client = page(broker)
    OpenPackageFactory.create_batch(2, zone=zone)
    with django_assert_max_num_queries(20) as few:
        client.get("/packages/worklist/")
    OpenPackageFactory.create_batch(25, zone=zone, escalated=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/packages/worklist/").context["page"].paginator.count == 27


def test_package_page_queries_do_not_grow(page, broker, zone, django_assert_max_num_queries):
    client = page(broker)
    provider = ProviderFactory()

    def busy_package(visits, events, others):
        package = PlacedPackageFactory(
            zone=zone,
            provider=provider,
            visits=[
                {
                    "days": ["mon"],
                    "time": datetime.time(7 + n),
                    "duration_minutes": 30,
                    "carers": 1 + n % 2,
                    "purpose": "meal",
                }
                for n in range(visits)
            ],
        )
        FlexiblePlanFactory(package=package)
        for _ in range(events):
            package.events.create(
                kind=EventKind.OFFERED, at=timezone.now(), by=broker, provider=provider
            )
        PlacedPackageFactory.create_batch(
            others, zone=zone, provider=provider, person=package.person
        )
        return package

    small = busy_package(visits=1, events=1, others=0)
    with django_assert_max_num_queries(30) as few:
        client.get(f"/packages/{small.pk}/")
    big = busy_package(visits=8, events=20, others=5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"/packages/{big.pk}/").status_code == 200


# --- the referral form, as a broker sees it again -----------------------------------


def test_the_summary_says_which_visit_and_links_to_the_box_to_fix(page, broker, zone):
    response = page(broker).post(
        "/packages/new/",
        referral_form(
            action="check",
            **{"visits-1-duration_minutes": "14", "date_of_birth_0": "31", "date_of_birth_1": "2"},
        ),
    )
    summary = response.context["errors"]
    assert {
        "href": "#id_visits-1-duration_minutes",
        "message": "Visit 2: A medication visit lasts at least 15 minutes.",
    } in summary
    # A date's own id is on its wrapper, which cannot take the focus: the link goes to the day.
    assert {"href": "#id_date_of_birth_0", "message": "The date of birth must be a real date"} in (
        summary
    )


def test_a_valid_nhs_number_is_shown_again_as_printed(page, broker, zone):
    response = page(broker).post(
        "/packages/new/", referral_form(nhs_number="9434765919", given_name="")
    )
    assert 'value="943 476 5919"' in response.content.decode()
    response = page(broker).post("/packages/new/", referral_form(nhs_number="94347659x"))
    assert 'value="94347659x"' in response.content.decode()


def test_a_person_known_only_outside_a_brokers_zones_stays_anonymous(page, zone, other_zone):
    person = PersonFactory(
        nhs_number="9434765919",
        family_name="Pemberton",
        date_of_birth=datetime.date(1951, 3, 2),
    )
    elsewhere = OpenPackageFactory(zone=zone, person=person)
    broker = BrokerFactory(username="north")
    broker.zones.add(other_zone)
    client = page(broker)
    html = client.post("/packages/new/person/", {"nhs_number": "9434765919"}).content.decode()
    assert "Known person, outside your zones" in html
    assert "Pemberton" not in html and "1951" not in html
    assert f"Package {elsewhere.pk}" not in html
    # The form shown again with its errors says the same.
    html = client.post(
        "/packages/new/", referral_form(postcode="EX31 1AA", given_name="")
    ).content.decode()
    assert "Known person, outside your zones" in html and "Pemberton" not in html
    assert not PersonAccess.objects.exists()


def test_a_person_known_in_a_brokers_zones_is_named(page, zone, other_zone):
    person = PersonFactory(nhs_number="9434765919", family_name="Ashworth")
    PackageFactory(zone=zone, person=person)
    mine = PackageFactory(zone=other_zone, person=person)
    broker = BrokerFactory(username="north")
    broker.zones.add(other_zone)
    response = page(broker).post("/packages/new/person/", {"nhs_number": "9434765919"})
    html = response.content.decode()
    assert f"Known person: {person.given_name} Ashworth" in html
    assert f"Package {mine.pk}" in html
    assert PersonAccess.objects.filter(user=broker, person=person).count() == 1


def test_a_provider_sees_the_packages_it_cares_for_before_the_ended_ones(
    page, users, provider_org, zone
):
    now = timezone.now()
    ended = PlacedPackageFactory(
        zone=zone, provider=provider_org, status=PackageStatus.ENDED, placed_at=now
    )
    older = PlacedPackageFactory(
        zone=zone, provider=provider_org, placed_at=now - datetime.timedelta(days=9)
    )
    newer = PlacedPackageFactory(
        zone=zone, provider=provider_org, placed_at=now - datetime.timedelta(days=1)
    )
    response = page(users["provider"]).get("/packages/ours/")
    assert list(response.context["page"]) == [newer, older, ended]
