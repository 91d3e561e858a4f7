"""The package services: the one lifecycle map, its guard, the signals and the timeline."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from core.errors import Conflict
from packages import services, signals
from packages.models import (
    TRANSITIONS,
    EventKind,
    Package,
    PackageStatus,
    Person,
    PersonAccess,
)
from tests.factories import (
    OpenPackageFactory,
    PackageFactory,
    PersonFactory,
    PlacedPackageFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db

ACTIONS = {
    "submit": lambda package, user: services.submit_package(package_id=package.pk, by=user),
    "cancel": lambda package, user: services.cancel_package(
        package_id=package.pk, by=user, reason="No longer needed"
    ),
    "place": lambda package, user: services.mark_placed(
        package_id=package.pk, provider=ProviderFactory(), by=user
    ),
    "hand_back": lambda package, user: services.hand_back_package(
        package_id=package.pk, by=user, reason="Lost carers"
    ),
    "end": lambda package, user: services.end_package(package_id=package.pk, by=user),
}


def _package_in(status, zone):
    provider = ProviderFactory() if status in (PackageStatus.PLACED, PackageStatus.ENDED) else None
    return PackageFactory(zone=zone, status=status, provider=provider)


@pytest.mark.parametrize("status", PackageStatus.values)
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_each_action_moves_only_from_the_statuses_the_map_allows(broker, zone, status, action):
    package = _package_in(status, zone)
    sources, target = TRANSITIONS[action]
    if status in sources:
        assert ACTIONS[action](package, broker).status == target
        package.refresh_from_db()
        assert package.status == target
    else:
        with pytest.raises(Conflict, match="cannot be"):
            ACTIONS[action](package, broker)
        package.refresh_from_db()
        assert package.status == status


def test_the_map_is_the_lifecycle_of_the_contract():
    assert {
        action: (set(sources), target) for action, (sources, target) in TRANSITIONS.items()
    } == {
        "submit": ({"draft"}, "open"),
        "cancel": ({"draft", "open"}, "cancelled"),
        "place": ({"open"}, "placed"),
        "hand_back": ({"placed"}, "open"),
        "end": ({"placed"}, "ended"),
    }


def _referral():
    return {
        "person": {
            "nhs_number": "9434765919",
            "given_name": "Ada",
            "family_name": "Ashworth",
            "date_of_birth": datetime.date(1938, 5, 17),
            "address_line": "1 Fore Street",
            "postcode": "EX2 4QD",
        },
        "package": {
            "source": "community",
            "priority": "standard",
            "start_date": timezone.localdate(),
        },
        "visits": [
            {
                "days": ["mon"],
                "time": datetime.time(9),
                "duration_minutes": 30,
                "carers": 2,
                "purpose": "meal",
            }
        ],
    }


def test_create_records_the_person_package_visits_and_timeline(broker, zone):
    package = services.create_package(by=broker, **_referral(), flexible_plan=None)
    assert package.status == PackageStatus.DRAFT
    assert package.zone == zone
    assert package.weekly_hours == Decimal("1.00")  # 30 minutes x 2 carers
    assert package.person.postcode == "EX2 4QD"
    assert [e.kind for e in package.events.all()] == [EventKind.CREATED]


def test_create_refuses_a_broken_rule_and_saves_nothing(broker, zone):
    referral = _referral()
    referral["visits"].append(
        {
            "days": ["tue"],
            "time": datetime.time(9),
            "duration_minutes": 20,
            "carers": 1,
            "purpose": "meal",
        }
    )
    referral["person"]["nhs_number"] = "9434765918"
    with pytest.raises(ValidationError) as refused:
        services.create_package(by=broker, **referral)
    assert {"nhs_number", "visits"} <= refused.value.message_dict.keys()
    assert not Person.objects.exists()
    assert not Package.objects.exists()


def test_hospital_ready_date_is_kept_only_for_a_hospital_discharge(broker, zone):
    referral = _referral()
    referral["package"]["hospital_ready_on"] = timezone.localdate()
    package = services.create_package(by=broker, **referral)
    assert package.hospital_ready_on is None


def test_submit_sends_the_signal_inside_the_transaction(
    broker, zone, django_capture_on_commit_callbacks
):
    package = PackageFactory(zone=zone)
    heard = []

    def receiver(sender, package_id, **kwargs):
        heard.append((package_id, connection.in_atomic_block))
        transaction.on_commit(lambda: heard.append("committed"))

    signals.package_submitted.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.submit_package(package_id=package.pk, by=broker)
    finally:
        signals.package_submitted.disconnect(receiver)
    assert heard == [(package.pk, True), "committed"]
    package.refresh_from_db()
    assert package.submitted_at is not None
    assert package.waiting_since == package.submitted_at
    assert package.brokering_round == 1
    assert [e.kind for e in package.events.all()] == [EventKind.SUBMITTED]


@pytest.mark.parametrize(
    ("signal", "act"),
    [
        (signals.package_cancelled, ACTIONS["cancel"]),
        (signals.package_handed_back, ACTIONS["hand_back"]),
    ],
)
def test_cancel_and_hand_back_send_their_signals(broker, zone, signal, act):
    package = _package_in(
        PackageStatus.PLACED if signal is signals.package_handed_back else PackageStatus.OPEN, zone
    )
    heard = []
    signal.connect(receiver := lambda sender, package_id, **kw: heard.append(package_id))
    try:
        act(package, broker)
    finally:
        signal.disconnect(receiver)
    assert heard == [package.pk]


def test_hand_back_reopens_without_the_provider_and_starts_a_new_round(broker, zone):
    package = PlacedPackageFactory(zone=zone, escalated=False)
    provider = package.provider
    services.hand_back_package(package_id=package.pk, by=broker, reason="Staff shortage")
    package.refresh_from_db()
    assert (package.status, package.provider, package.placed_at) == ("open", None, None)
    assert package.brokering_round == 2
    hand_back = package.hand_backs.get()
    assert (hand_back.provider, hand_back.reason, hand_back.by) == (
        provider,
        "Staff shortage",
        broker,
    )
    event = package.events.get()
    assert (event.kind, event.provider, event.detail) == (
        EventKind.HANDED_BACK,
        provider,
        "Staff shortage",
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_cancel_and_hand_back_need_a_reason(broker, zone, reason):
    with pytest.raises(ValidationError):
        services.cancel_package(
            package_id=OpenPackageFactory(zone=zone).pk, by=broker, reason=reason
        )
    with pytest.raises(ValidationError):
        services.hand_back_package(
            package_id=PlacedPackageFactory(zone=zone).pk, by=broker, reason=reason
        )


def test_end_records_the_last_day_which_cannot_be_in_the_future(broker, zone):
    package = PlacedPackageFactory(
        zone=zone, start_date=timezone.localdate() - datetime.timedelta(days=30)
    )
    with pytest.raises(ValidationError):
        services.end_package(
            package_id=package.pk,
            by=broker,
            ended_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    with pytest.raises(ValidationError):
        services.end_package(
            package_id=package.pk,
            by=broker,
            ended_on=package.start_date - datetime.timedelta(days=1),
        )
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    services.end_package(package_id=package.pk, by=broker, ended_on=yesterday)
    package.refresh_from_db()
    assert (package.status, package.ended_on) == ("ended", yesterday)


def test_mark_placed_sets_provider_and_records_the_kind(broker, zone):
    package = OpenPackageFactory(zone=zone, escalated=True)
    provider = ProviderFactory()
    services.mark_placed(
        package_id=package.pk,
        provider=provider,
        by=broker,
        kind=EventKind.ASSIGNED,
        detail="By phone",
    )
    package.refresh_from_db()
    assert (package.status, package.provider, package.escalated) == ("placed", provider, False)
    assert package.placed_at is not None
    event = package.events.get()
    assert (event.kind, event.provider, event.by, event.detail) == (
        EventKind.ASSIGNED,
        provider,
        broker,
        "By phone",
    )


def test_set_escalated_only_changes_open_packages(zone):
    package = OpenPackageFactory(zone=zone)
    assert services.set_escalated(package_id=package.pk, escalated=True) is True
    assert services.set_escalated(package_id=package.pk, escalated=True) is False
    package.refresh_from_db()
    assert package.escalated and package.escalated_at is not None
    assert [e.kind for e in package.events.all()] == [EventKind.ESCALATED]
    assert services.set_escalated(package_id=package.pk, escalated=False) is True
    placed = PlacedPackageFactory(zone=zone)
    assert services.set_escalated(package_id=placed.pk, escalated=True) is False


def test_log_person_access_takes_a_request_or_an_address(broker, zone, rf):
    person = PackageFactory(zone=zone).person
    services.log_person_access(
        person_id=person.pk,
        user=broker,
        request_or_ip=rf.get("/", REMOTE_ADDR="192.0.2.7"),
        via="x",
    )
    services.log_person_access(
        person_id=person.pk, user=broker, request_or_ip="2001:db8::1", via="y"
    )
    services.log_person_access(person_id=person.pk, user=broker, request_or_ip="nonsense", via="z")
    assert sorted(PersonAccess.objects.values_list("ip_address", flat=True), key=str) == [
        "192.0.2.7",
        "2001:db8::1",
        None,
    ]


def test_log_people_access_writes_each_person_once_with_who_when_and_where(broker, zone, rf):
    first, second = PersonFactory(), PersonFactory()
    request = rf.get("/", REMOTE_ADDR="2001:db8::1")
    services.log_people_access(
        person_ids=[first.pk, second.pk, first.pk], user=broker, request_or_ip=request, via="v"
    )
    services.log_people_access(person_ids=[], user=broker, request_or_ip=None, via="w")
    services.log_people_access(person_ids=[second.pk], user=broker, request_or_ip=None, via="w")
    rows = PersonAccess.objects.order_by("pk").values_list(
        "person", "user", "ip_address", "via", "at"
    )
    now = timezone.now()
    assert [row[:4] for row in rows] == [
        (first.pk, broker.pk, "2001:db8::1", "v"),
        (second.pk, broker.pk, "2001:db8::1", "v"),
        (second.pk, broker.pk, None, "w"),
    ]
    assert all(abs(row[4] - now) < datetime.timedelta(seconds=5) for row in rows)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_placements_only_one_wins(zone):
    package = OpenPackageFactory(zone=zone)
    providers = [ProviderFactory(), ProviderFactory()]
    barrier = threading.Barrier(2)
    outcomes = []

    def place(provider):
        barrier.wait()
        try:
            services.mark_placed(package_id=package.pk, provider=provider, by=None)
            outcomes.append("placed")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=(p,)) for p in providers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "placed"]
    package.refresh_from_db()
    assert package.status == "placed"
    assert package.events.filter(kind=EventKind.PLACED).count() == 1
