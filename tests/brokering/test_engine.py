"""The allocation engine: whom each zone's mode asks, in what order, and who is eligible."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import Role
from brokering import services
from brokering.models import Offer, OfferStatus
from notifications import services as notifications
from notifications.models import Notification, NotificationKind
from notifications.tasks import send_notification_emails
from packages.models import EventKind, PackageStatus
from providers.models import ContractRole, CqcRating, ProviderStatus
from tests.factories import (
    BrokerFactory,
    CapacityFactory,
    ContractFactory,
    PlacedPackageFactory,
    ProviderUserFactory,
    ZoneFactory,
)
from zones.models import AllocationMode

from .factories import market, open_package

pytestmark = pytest.mark.django_db


def offered_to(package):
    return [o.provider for o in Offer.objects.filter(package=package, status="pending")]


def test_broadcast_offers_every_eligible_provider_at_once():
    zone, p = market(AllocationMode.BROADCAST, framework=2)
    ContractFactory(zone=zone, provider__cqc_rating=CqcRating.REQUIRES_IMPROVEMENT)
    ContractFactory(zone=zone, provider__status=ProviderStatus.SUSPENDED)
    package = open_package(zone)

    offers = services.advance_brokering(package_id=package.pk)

    assert {o.provider for o in offers} == {p["primary"], p["secondary"], *p["framework"]}
    window = offers[0].expires_at - offers[0].sent_at
    assert window == datetime.timedelta(minutes=zone.offer_window_minutes)


def test_urgent_packages_get_the_zones_shorter_window():
    zone, _ = market(
        AllocationMode.CASCADE, offer_window_minutes=240, urgent_offer_window_minutes=30
    )
    package = open_package(zone, priority="urgent")

    (offer,) = services.advance_brokering(package_id=package.pk)

    assert offer.expires_at - offer.sent_at == datetime.timedelta(minutes=30)


def test_cascade_asks_primary_then_secondary_then_framework():
    zone, p = market(AllocationMode.CASCADE, framework=1)
    package = open_package(zone)
    order = []
    for _ in range(3):
        (offer,) = services.advance_brokering(package_id=package.pk)
        order.append(offer.provider)
        services.decline_offer(offer_id=offer.pk, by=None, reason="no_capacity")

    assert order == [p["primary"], p["secondary"], p["framework"][0]]


def test_cascade_prefers_declared_capacity_then_fewest_hours_this_week():
    zone, p = market(AllocationMode.CASCADE, primary=False, secondary=False, framework=3)
    busy, idle, with_capacity = p["framework"]
    PlacedPackageFactory(zone=zone, provider=busy, weekly_hours=Decimal("20"))
    PlacedPackageFactory(zone=zone, provider=with_capacity, weekly_hours=Decimal("40"))
    CapacityFactory(provider=with_capacity, zone=zone, hours=Decimal("30"))
    CapacityFactory(provider=idle, zone=zone, hours=Decimal("1"))  # too little for 5.25 h
    package = open_package(zone)

    order = []
    for _ in range(3):
        (offer,) = services.advance_brokering(package_id=package.pk)
        order.append(offer.provider)
        services.decline_offer(offer_id=offer.pk, by=None, reason="no_capacity")

    assert order == [with_capacity, idle, busy]


def test_weekly_cap_counts_placed_packages_plus_this_one():
    zone, p = market(AllocationMode.BROADCAST, secondary=False, framework=1)
    capped, other = p["primary"], p["framework"][0]
    capped.weekly_hours_cap = Decimal("10")
    capped.save()
    PlacedPackageFactory(zone=zone, provider=capped, weekly_hours=Decimal("5"))
    fits = open_package(zone, weekly_hours=Decimal("5"))
    too_big = open_package(zone, weekly_hours=Decimal("5.01"))

    assert set(offered_to_after_advance(fits)) == {capped, other}
    assert set(offered_to_after_advance(too_big)) == {other}


def offered_to_after_advance(package):
    return [o.provider for o in services.advance_brokering(package_id=package.pk)]


def test_nobody_eligible_escalates_and_tells_the_zones_brokers():
    zone, _ = market(AllocationMode.CASCADE, primary=False, secondary=False)
    ContractFactory(zone=zone, provider__cqc_rating=CqcRating.INADEQUATE)
    everywhere = BrokerFactory(username="everywhere")
    here = BrokerFactory(username="here")
    here.zones.add(zone)
    elsewhere = BrokerFactory(username="elsewhere")
    elsewhere.zones.add(ZoneFactory(districts=["PL1"]))
    package = open_package(zone)

    assert services.advance_brokering(package_id=package.pk) == []

    package.refresh_from_db()
    assert package.status == PackageStatus.OPEN and package.escalated
    notified = Notification.objects.filter(kind=NotificationKind.ESCALATED)
    assert {n.recipient for n in notified} == {everywhere, here}
    assert package.events.filter(kind=EventKind.ESCALATED).count() == 1


def test_running_twice_sends_no_duplicate_offers():
    zone, _ = market(AllocationMode.BROADCAST, framework=2)
    package = open_package(zone)

    first = services.advance_brokering(package_id=package.pk)
    second = services.advance_brokering(package_id=package.pk)

    assert len(first) == 4 and second == []
    assert Offer.objects.filter(package=package).count() == 4


def test_the_task_brokers_by_id_and_is_safe_twice():
    from brokering.tasks import broker_package

    zone, _ = market(AllocationMode.CASCADE)
    package = open_package(zone)

    assert broker_package(package.pk) == 1
    assert broker_package(package.pk) == 0
    assert broker_package(999_999) == 0


def test_closed_packages_are_not_brokered():
    zone, _ = market(AllocationMode.BROADCAST)
    package = open_package(zone, status=PackageStatus.CANCELLED)

    assert services.advance_brokering(package_id=package.pk) == []


def test_new_offer_notifies_the_providers_users_by_email_without_personal_data(
    django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://brokerage.example.org"
    zone, p = market(AllocationMode.CASCADE, secondary=False)
    user = ProviderUserFactory(provider=p["primary"], email="office@alpha.example.org")
    ProviderUserFactory(provider=p["primary"], email="", role=Role.PROVIDER)
    package = open_package(zone)

    with django_capture_on_commit_callbacks(execute=True):
        (offer,) = services.advance_brokering(package_id=package.pk)

    note = Notification.objects.get(recipient=user)
    assert note.link == f"/brokering/offers/{offer.pk}/"
    (email,) = mail.outbox
    assert email.to == ["office@alpha.example.org"]
    assert f"https://brokerage.example.org/brokering/offers/{offer.pk}/" in email.body
    person = package.person
    for secret in (person.given_name, person.family_name, person.nhs_number, person.postcode):
        assert secret not in email.body and secret not in note.message


@time_machine.travel(datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_the_offer_notification_gives_dates_as_the_service_writes_them():
    zone, p = market(AllocationMode.CASCADE, secondary=False, offer_window_minutes=240)
    user = ProviderUserFactory(provider=p["primary"])
    package = open_package(zone, start_date=datetime.date(2025, 3, 5))

    services.advance_brokering(package_id=package.pk)

    text = Notification.objects.get(recipient=user).message
    assert "starting 5 Mar 2025. Answer by 3 Mar 2025, 13:00." in text
    assert package.events.get(kind=EventKind.OFFERED).detail == "Answer by 3 Mar 2025, 13:00"


def test_the_email_task_sends_each_notification_once(django_capture_on_commit_callbacks):
    zone, p = market(AllocationMode.CASCADE, secondary=False)
    ProviderUserFactory(provider=p["primary"], email="office@alpha.example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.advance_brokering(package_id=open_package(zone).pk)
    assert len(mail.outbox) == 1

    # A retried task, or its message delivered twice, sends nothing more.
    assert send_notification_emails(list(Notification.objects.values_list("pk", flat=True))) == 0
    assert len(mail.outbox) == 1


def test_an_email_that_could_not_be_sent_goes_on_the_retry(monkeypatch):
    zone, p = market(AllocationMode.CASCADE, secondary=False)
    ProviderUserFactory(provider=p["primary"], email="office@alpha.example.org")
    services.advance_brokering(package_id=open_package(zone).pk)
    ids = list(Notification.objects.values_list("pk", flat=True))

    def mail_server_down(self, messages):
        raise ConnectionRefusedError("mail server down")

    with monkeypatch.context() as patched:
        patched.setattr(
            "django.core.mail.backends.locmem.EmailBackend.send_messages", mail_server_down
        )
        with pytest.raises(OSError):
            notifications.send_emails(ids)
    assert Notification.objects.get().emailed_at is None

    assert notifications.send_emails(ids) == 1
    assert Notification.objects.get().emailed_at is not None


def test_offers_are_on_the_packages_timeline():
    zone, p = market(AllocationMode.CASCADE)
    package = open_package(zone)

    services.advance_brokering(package_id=package.pk)

    event = package.events.get(kind=EventKind.OFFERED)
    assert event.provider == p["primary"]


@time_machine.travel(datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_rota_first_offers_follow_shares_exactly_and_swap_each_period():
    zone, p = market(AllocationMode.ROTA, framework=1, shares=(80, 20), rotation_weeks=2)
    primary, secondary = p["primary"], p["secondary"]
    assert zone.rotation_period(timezone.localdate()) % 2 == 0  # the contract primary leads

    def first_offers(count):
        return [
            services.advance_brokering(package_id=open_package(zone).pk)[0].provider
            for _ in range(count)
        ]

    firsts = first_offers(100)
    for k in range(1, 101):  # exact at every point: round(0.8 k), halves rounded up
        assert firsts[:k].count(primary) == (2 * k * 80 + 100) // 200
    assert firsts.count(primary) == 80 and firsts.count(secondary) == 20
    # The 3rd of every 5 goes to the secondary (not PPPPS, which starves a period of 4).
    assert firsts[:10] == [primary, primary, secondary, primary, primary] * 2

    with time_machine.travel(datetime.datetime(2025, 3, 17, 9, 0, tzinfo=datetime.UTC)):
        swapped = first_offers(10)
    assert swapped.count(secondary) == 8 and swapped.count(primary) == 2
    assert swapped[0] == secondary


def rota_firsts(zone, count):
    """The providers given the first offers of `count` newly submitted packages, in order."""
    return [
        services.advance_brokering(package_id=open_package(zone).pk)[0].provider
        for _ in range(count)
    ]


# Monday 17 March 2025 is in an odd period counted from the epoch (1 January 2024).
ODD_EPOCH_PERIOD = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)


@time_machine.travel(ODD_EPOCH_PERIOD, tick=False)
def test_a_new_rota_opens_with_its_primary_leading_whatever_the_date():
    zone, p = market(AllocationMode.ROTA, shares=(80, 20), rotation_weeks=2)
    assert zone.rotation_period(timezone.localdate()) % 2 == 1  # the epoch would swap them

    firsts = rota_firsts(zone, 10)

    assert firsts.count(p["primary"]) == 8 and firsts[0] == p["primary"]
    zone.refresh_from_db()
    assert zone.rota_started_on == datetime.date(2025, 3, 17)  # that week's Monday
    with time_machine.travel(ODD_EPOCH_PERIOD + datetime.timedelta(days=10)):  # Sunday 30th
        assert rota_firsts(zone, 5).count(p["primary"]) == 4  # same period: 12 of 15 so far
    with time_machine.travel(ODD_EPOCH_PERIOD + datetime.timedelta(weeks=2)):
        swapped = rota_firsts(zone, 10)
    assert swapped.count(p["secondary"]) == 8 and swapped[0] == p["secondary"]
    with time_machine.travel(ODD_EPOCH_PERIOD + datetime.timedelta(weeks=4)):
        assert rota_firsts(zone, 10).count(p["primary"]) == 8


@time_machine.travel(ODD_EPOCH_PERIOD, tick=False)
def test_a_rota_starts_only_once_it_has_both_providers():
    zone, p = market(AllocationMode.ROTA, secondary=False)
    services.advance_brokering(package_id=open_package(zone).pk)
    zone.refresh_from_db()
    assert zone.rota_started_on is None

    with time_machine.travel(ODD_EPOCH_PERIOD + datetime.timedelta(days=3)):
        ContractFactory(zone=zone, role=ContractRole.SECONDARY, share_percent=20)
        assert rota_firsts(zone, 1) == [p["primary"]]
    zone.refresh_from_db()
    assert zone.rota_started_on == datetime.date(2025, 3, 17)  # Sunday 23rd's Monday


@time_machine.travel(ODD_EPOCH_PERIOD, tick=False)
def test_rota_counts_only_first_offers_sent_in_this_periods_days():
    zone, p = market(AllocationMode.ROTA, shares=(80, 20))
    rota_firsts(zone, 1)
    # First offers of long ago that carry this period's number (numbered when the rota ran
    # on other settings) are not this period's: they must not tilt its shares.
    long_ago = timezone.now() - datetime.timedelta(days=400)
    for _ in range(5):
        Offer.objects.create(
            package=open_package(zone, status=PackageStatus.ENDED),
            provider=p["primary"],
            round=1,
            sent_at=long_ago,
            expires_at=long_ago + datetime.timedelta(hours=4),
            status=OfferStatus.EXPIRED,
            rota_zone=zone,
            rota_period=0,
        )

    assert rota_firsts(zone, 9).count(p["primary"]) == 7  # with the first: 8 of 10


@time_machine.travel(datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_rota_asks_the_other_then_framework_after_a_decline():
    zone, p = market(AllocationMode.ROTA, framework=1)
    package = open_package(zone)
    order = []
    for _ in range(3):
        (offer,) = services.advance_brokering(package_id=package.pk)
        order.append(offer.provider)
        services.decline_offer(offer_id=offer.pk, by=None, reason="skills_needed")

    assert order == [p["primary"], p["secondary"], p["framework"][0]]
    assert services.advance_brokering(package_id=package.pk) == []
    package.refresh_from_db()
    assert package.escalated


@time_machine.travel(datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_rota_turn_of_an_ineligible_provider_goes_to_the_other():
    zone, p = market(AllocationMode.ROTA, shares=(80, 20))
    p["primary"].status = ProviderStatus.SUSPENDED
    p["primary"].save()

    firsts = [
        services.advance_brokering(package_id=open_package(zone).pk)[0].provider for _ in range(5)
    ]

    assert firsts == [p["secondary"]] * 5


def test_incomplete_rota_falls_back_to_cascade_order():
    zone, p = market(AllocationMode.ROTA, secondary=False, framework=1)
    package = open_package(zone)

    (offer,) = services.advance_brokering(package_id=package.pk)

    assert offer.provider == p["primary"] and offer.rota_period is None


def test_contract_roles_are_in_cascade_order():
    assert [r for r in ContractRole] == ["primary", "secondary", "framework", "reserve"]


def test_offer_statuses_are_the_contracts():
    assert sorted(OfferStatus.values) == sorted(
        ["pending", "accepted", "declined", "expired", "withdrawn"]
    )
