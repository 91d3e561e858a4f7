"""Answering offers, expiry and the sweep, hand-backs, cancelling, and the broker's actions."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from brokering import services
from brokering.models import Offer, OfferStatus, WithdrawnBecause
from brokering.tasks import sweep_brokering
from core.errors import Conflict
from packages import services as packages_services
from packages.models import EventKind, PackageStatus
from tests.factories import (
    BrokerFactory,
    PackageFactory,
    PlacedPackageFactory,
    ProviderFactory,
    ProviderUserFactory,
)
from zones.models import AllocationMode

from .factories import OfferFactory, market, open_package

pytestmark = pytest.mark.django_db

SWEPT = {"retried": 0, "overdue": 0}


def pending(package):
    return list(Offer.objects.filter(package=package, status=OfferStatus.PENDING))


def test_submit_brokers_the_package_after_commit(django_capture_on_commit_callbacks):
    zone, p = market(AllocationMode.BROADCAST)
    broker = BrokerFactory()
    package = PackageFactory(zone=zone)

    with django_capture_on_commit_callbacks(execute=True):
        packages_services.submit_package(package_id=package.pk, by=broker)

    assert {o.provider for o in pending(package)} == {p["primary"], p["secondary"]}
    assert {o.round for o in pending(package)} == {1}


def test_accept_places_the_package_and_withdraws_the_other_offers():
    zone, p = market(AllocationMode.BROADCAST, framework=1)
    package = open_package(zone)
    offers = {o.provider: o for o in services.advance_brokering(package_id=package.pk)}
    user = ProviderUserFactory(provider=p["secondary"])

    accepted = services.accept_offer(offer_id=offers[p["secondary"]].pk, by=user)

    package.refresh_from_db()
    assert accepted.status == OfferStatus.ACCEPTED and accepted.answered_by == user
    assert package.status == PackageStatus.PLACED and package.provider == p["secondary"]
    assert package.placed_at is not None
    others = Offer.objects.exclude(pk=accepted.pk)
    assert {(o.status, o.withdrawn_because) for o in others} == {
        (OfferStatus.WITHDRAWN, WithdrawnBecause.TAKEN)
    }
    assert package.events.filter(kind=EventKind.PLACED, provider=p["secondary"]).exists()


def test_accepting_twice_or_a_withdrawn_offer_conflicts():
    zone, _ = market(AllocationMode.BROADCAST)
    package = open_package(zone)
    first, second = services.advance_brokering(package_id=package.pk)
    services.accept_offer(offer_id=first.pk, by=None)

    with pytest.raises(Conflict):
        services.accept_offer(offer_id=first.pk, by=None)
    with pytest.raises(Conflict, match="no longer available"):
        services.accept_offer(offer_id=second.pk, by=None)


def test_accept_after_expiry_conflicts_even_before_the_sweep():
    offer = OfferFactory()
    with (
        time_machine.travel(offer.expires_at + datetime.timedelta(seconds=1)),
        pytest.raises(Conflict, match="expired"),
    ):
        services.accept_offer(offer_id=offer.pk, by=None)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING


def test_decline_needs_a_known_reason():
    offer = OfferFactory()
    with pytest.raises(ValidationError) as error:
        services.decline_offer(offer_id=offer.pk, by=None, reason="bored")
    assert "reason" in error.value.message_dict
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING


def test_a_bare_other_is_a_reason_for_a_back_office_system():
    # The contract's decline is {"reason"} alone; only the portal's form asks for words.
    offer = OfferFactory()

    declined = services.decline_offer(offer_id=offer.pk, by=None, reason="other", detail=" ")

    assert (declined.status, declined.decline_reason, declined.decline_detail) == (
        OfferStatus.DECLINED,
        "other",
        "",
    )


def test_accepting_beyond_the_weekly_cap_withdraws_the_providers_offers_that_no_longer_fit(
    django_capture_on_commit_callbacks,
):
    # Offers go out within the cap, but a broadcast can offer one provider several at once.
    zone, p = market(AllocationMode.BROADCAST, secondary=False)
    capped = p["primary"]
    capped.weekly_hours_cap = Decimal("9")
    capped.save()
    PlacedPackageFactory(zone=zone, provider=capped, weekly_hours=Decimal("2"))
    first, second = (open_package(zone, weekly_hours=Decimal("4")) for _ in range(2))
    small = open_package(zone, weekly_hours=Decimal("3"))
    (first_offer,) = services.advance_brokering(package_id=first.pk)
    (second_offer,) = services.advance_brokering(package_id=second.pk)
    (small_offer,) = services.advance_brokering(package_id=small.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_offer(offer_id=first_offer.pk, by=None)  # 2 + 4 = 6 of 9

    second_offer.refresh_from_db()
    small_offer.refresh_from_db()
    assert (second_offer.status, second_offer.withdrawn_because) == ("withdrawn", "cap")
    assert small_offer.status == OfferStatus.PENDING  # 6 + 3 = 9 still fits
    with pytest.raises(Conflict, match="cap reached"):
        services.accept_offer(offer_id=second_offer.pk, by=None)
    second.refresh_from_db()
    assert second.status == PackageStatus.OPEN and second.escalated  # moved on: nobody left
    assert second.events.filter(kind=EventKind.WITHDRAWN).exists()


def test_accepting_over_the_cap_is_409_and_the_offer_is_withdrawn():
    zone, p = market(AllocationMode.CASCADE, secondary=False)
    capped = p["primary"]
    capped.weekly_hours_cap = Decimal("9")
    capped.save()
    package = open_package(zone, weekly_hours=Decimal("4"))
    (offer,) = services.advance_brokering(package_id=package.pk)
    PlacedPackageFactory(zone=zone, provider=capped, weekly_hours=Decimal("6"))  # placed by hand

    with pytest.raises(Conflict, match="over its weekly cap of 9 hours \\(6 already placed\\)"):
        services.accept_offer(offer_id=offer.pk, by=None)

    offer.refresh_from_db()
    assert (offer.status, offer.withdrawn_because) == ("withdrawn", "ineligible")


def test_accepting_up_to_the_weekly_cap_exactly_is_allowed():
    zone, p = market(AllocationMode.BROADCAST, secondary=False)
    capped = p["primary"]
    capped.weekly_hours_cap = Decimal("8")
    capped.save()
    packages = [open_package(zone, weekly_hours=Decimal("4")) for _ in range(2)]
    offers = [services.advance_brokering(package_id=pk.pk)[0] for pk in packages]

    for offer in offers:
        services.accept_offer(offer_id=offer.pk, by=None)

    assert capped.packages.filter(status=PackageStatus.PLACED).count() == 2


def test_decline_records_the_reason_and_the_cascade_moves_on_at_once(
    django_capture_on_commit_callbacks,
):
    zone, p = market(AllocationMode.CASCADE)
    package = open_package(zone)
    (offer,) = services.advance_brokering(package_id=package.pk)

    with django_capture_on_commit_callbacks(execute=True):
        declined = services.decline_offer(
            offer_id=offer.pk, by=None, reason="other", detail="Staff on leave"
        )

    assert (declined.status, declined.decline_reason) == (OfferStatus.DECLINED, "other")
    assert declined.decline_detail == "Staff on leave" and declined.answered_at
    (next_offer,) = pending(package)
    assert next_offer.provider == p["secondary"]


def test_expiry_by_the_sweep_moves_the_cascade_on():
    zone, p = market(AllocationMode.CASCADE, offer_window_minutes=60)
    package = open_package(zone)
    (offer,) = services.advance_brokering(package_id=package.pk)

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=59)):
        assert sweep_brokering() == SWEPT | {"expired": 0, "driven": 0}
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=61)):
        assert sweep_brokering() == SWEPT | {"expired": 1, "driven": 1}
        (next_offer,) = pending(package)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    assert next_offer.provider == p["secondary"]
    assert package.events.filter(kind=EventKind.EXPIRED, provider=p["primary"]).exists()


def test_the_sweep_is_scheduled_every_minute_and_a_missed_run_is_not_queued_up(settings):
    (entry,) = (
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "brokering.tasks.sweep_brokering"
    )
    assert entry["schedule"] == 60.0 and entry["options"]["expires"] < 60


def test_every_expiry_ends_in_escalation_and_the_sweep_then_leaves_it_alone():
    zone, _ = market(AllocationMode.CASCADE, offer_window_minutes=30)
    package = open_package(zone)
    services.advance_brokering(package_id=package.pk)
    start = timezone.now()

    for hour in (1, 2, 3):
        with time_machine.travel(start + datetime.timedelta(hours=hour)):
            sweep_brokering()

    package.refresh_from_db()
    assert package.escalated and package.status == PackageStatus.OPEN
    assert list(Offer.objects.filter(package=package).values_list("status", flat=True)) == [
        "expired",
        "expired",
    ]
    assert sweep_brokering() == SWEPT | {"expired": 0, "driven": 0}


def test_the_sweep_re_drives_a_package_whose_task_was_lost():
    zone, p = market(AllocationMode.CASCADE)
    lost = open_package(zone)  # submitted, but its message never reached a worker

    assert sweep_brokering() == SWEPT | {"expired": 0, "driven": 1}

    assert [o.provider for o in pending(lost)] == [p["primary"]]
    assert sweep_brokering() == SWEPT | {"expired": 0, "driven": 0}


def test_hand_back_re_brokers_without_that_provider(django_capture_on_commit_callbacks):
    zone, p = market(AllocationMode.BROADCAST, framework=1)
    package = open_package(zone)
    offers = {o.provider: o for o in services.advance_brokering(package_id=package.pk)}
    user = ProviderUserFactory(provider=p["primary"])
    services.accept_offer(offer_id=offers[p["primary"]].pk, by=user)

    with django_capture_on_commit_callbacks(execute=True):
        packages_services.hand_back_package(package_id=package.pk, by=user, reason="No carers")

    package.refresh_from_db()
    new_round = pending(package)
    assert package.status == PackageStatus.OPEN and package.brokering_round == 2
    assert {o.provider for o in new_round} == {p["secondary"], p["framework"][0]}
    assert {o.round for o in new_round} == {2}


def test_a_decliner_is_not_asked_again_after_a_hand_back(django_capture_on_commit_callbacks):
    zone, p = market(AllocationMode.CASCADE, framework=1)
    package = open_package(zone)
    (first,) = services.advance_brokering(package_id=package.pk)
    services.decline_offer(offer_id=first.pk, by=None, reason="no_capacity")
    (second,) = services.advance_brokering(package_id=package.pk)
    services.accept_offer(offer_id=second.pk, by=None)

    with django_capture_on_commit_callbacks(execute=True):
        packages_services.hand_back_package(package_id=package.pk, by=None, reason="Closing")

    assert [o.provider for o in pending(package)] == [p["framework"][0]]


def test_cancelling_withdraws_pending_offers():
    zone, _ = market(AllocationMode.BROADCAST)
    package = open_package(zone)
    services.advance_brokering(package_id=package.pk)

    packages_services.cancel_package(package_id=package.pk, by=None, reason="Went to live abroad")

    assert set(Offer.objects.values_list("status", "withdrawn_because")) == {
        ("withdrawn", "cancelled")
    }
    assert sweep_brokering() == SWEPT | {"expired": 0, "driven": 0}


def test_assign_by_hand_overrides_the_rules_and_withdraws_offers():
    zone, _ = market(AllocationMode.BROADCAST)
    package = open_package(zone)
    services.advance_brokering(package_id=package.pk)
    outsider = ProviderFactory(cqc_rating="requires_improvement")
    broker = BrokerFactory()

    with pytest.raises(ValidationError, match="Requires improvement"):
        services.assign_package(package_id=package.pk, provider=outsider, by=broker)
    placed = services.assign_package(
        package_id=package.pk,
        provider=outsider,
        by=broker,
        reason="Family's choice",
        override_reason="The family's agency",
    )

    assert placed.status == PackageStatus.PLACED and placed.provider == outsider
    assert not pending(package)
    event = package.events.get(kind=EventKind.ASSIGNED)
    assert event.by == broker and event.detail.startswith("Family's choice Override by")
    with pytest.raises(Conflict):
        services.assign_package(package_id=package.pk, provider=outsider, by=broker)


def test_withdrawing_moves_on_to_the_next_provider(django_capture_on_commit_callbacks):
    zone, p = market(AllocationMode.CASCADE)
    package = open_package(zone)
    services.advance_brokering(package_id=package.pk)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.withdraw_offers(package_id=package.pk, by=BrokerFactory()) == 1

    assert [o.provider for o in pending(package)] == [p["secondary"]]


def test_rebroker_starts_a_new_round_that_asks_expired_providers_again(
    django_capture_on_commit_callbacks,
):
    zone, p = market(AllocationMode.CASCADE, secondary=False, offer_window_minutes=30)
    package = open_package(zone)
    services.advance_brokering(package_id=package.pk)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        sweep_brokering()
    package.refresh_from_db()
    assert package.escalated

    with django_capture_on_commit_callbacks(execute=True):
        services.rebroker_package(package_id=package.pk, by=BrokerFactory())

    package.refresh_from_db()
    assert not package.escalated and package.brokering_round == 2
    assert [(o.provider, o.round) for o in pending(package)] == [(p["primary"], 2)]
    assert package.events.filter(kind=EventKind.REBROKERED).exists()


def test_broker_actions_need_an_open_package():
    zone, _ = market(AllocationMode.CASCADE)
    draft = PackageFactory(zone=zone)
    for action in (services.withdraw_offers, services.rebroker_package):
        with pytest.raises(Conflict):
            action(package_id=draft.pk, by=None)
