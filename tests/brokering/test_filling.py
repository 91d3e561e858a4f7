"""Filling every package (v1.1): reserve and neighbours, remaining capacity, the urgent wave,
offer hours, re-tries of escalated packages, the accept's re-check and the fill target."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from brokering import services
from brokering.models import Offer, OfferStatus
from core.errors import Conflict
from notifications.models import Notification, NotificationKind
from packages.models import Package, PackageStatus
from providers import services as providers_services
from providers.models import ContractRole, CqcRating, ProviderStatus
from tests.factories import (
    BrokerFactory,
    CapacityFactory,
    ContractFactory,
    PlacedPackageFactory,
    ProviderFactory,
    ZoneFactory,
)
from zones import services as zones_services
from zones.models import AllocationMode

from .factories import market, open_package

pytestmark = pytest.mark.django_db

TUESDAY = datetime.datetime(2025, 3, 4, 10, 0, tzinfo=datetime.UTC)


def ask_in_turn(package, declines=True):
    """Every provider asked, one step at a time, each declining (or letting it expire)."""
    asked = []
    while offers := services.advance_brokering(package_id=package.pk):
        asked.append([o.provider for o in offers])
        for offer in offers:
            if declines:
                services.decline_offer(offer_id=offer.pk, by=None, reason="no_capacity")
            else:
                Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.EXPIRED)
    return asked


def with_neighbours(zone, *neighbours):
    zones_services.update_zone(zone_id=zone.pk, by=None, neighbours=[n.code for n in neighbours])
    zone.refresh_from_db()


def contract(zone, role=ContractRole.FRAMEWORK, **provider):
    return ContractFactory(zone=zone, role=role, provider=ProviderFactory(**provider)).provider


# --- the order: the zone's own, its reserve, then its neighbours in order ----------------


def test_cascade_asks_framework_then_reserve_then_each_neighbour_in_the_order_listed():
    zone, p = market(AllocationMode.CASCADE, framework=1)
    reserve = contract(zone, ContractRole.RESERVE)
    first_neighbour = ZoneFactory(districts=["EX8"])
    second_neighbour = ZoneFactory(districts=["EX9"])
    far = ZoneFactory(districts=["EX7"])
    beyond = contract(far)  # a neighbour's own neighbour: never asked
    with_neighbours(second_neighbour, far)
    in_second = [contract(second_neighbour, ContractRole.PRIMARY)]
    in_first = [contract(first_neighbour, ContractRole.RESERVE), contract(first_neighbour)]
    with_neighbours(zone, first_neighbour, second_neighbour)

    asked = ask_in_turn(open_package(zone))

    own = [[p["primary"]], [p["secondary"]], [p["framework"][0]], [reserve]]
    # Each neighbour's in its own cascade order: its framework before its reserve.
    assert asked == [*own, [in_first[1]], [in_first[0]], [in_second[0]]]
    assert [beyond] not in asked


def test_broadcast_asks_the_zone_then_its_reserve_then_a_neighbours_all_at_once():
    zone, p = market(AllocationMode.BROADCAST, framework=1)
    reserves = {contract(zone, ContractRole.RESERVE), contract(zone, ContractRole.RESERVE)}
    neighbour = ZoneFactory(districts=["EX8"])
    theirs = {contract(neighbour), contract(neighbour, ContractRole.RESERVE)}
    with_neighbours(zone, neighbour)

    asked = [set(wave) for wave in ask_in_turn(open_package(zone))]

    assert asked == [{p["primary"], p["secondary"], p["framework"][0]}, reserves, theirs]


def test_a_provider_in_both_the_zone_and_a_neighbour_is_asked_once_at_its_place_in_the_zone():
    zone, p = market(AllocationMode.CASCADE, secondary=False)
    neighbour = ZoneFactory(districts=["EX8"])
    ContractFactory(zone=neighbour, provider=p["primary"], role=ContractRole.PRIMARY)
    other = contract(neighbour)
    with_neighbours(zone, neighbour)

    assert ask_in_turn(open_package(zone)) == [[p["primary"]], [other]]


def test_neighbours_providers_are_held_to_the_same_eligibility():
    zone, _ = market(AllocationMode.CASCADE, primary=False, secondary=False)
    neighbour = ZoneFactory(districts=["EX8"])
    contract(neighbour, status=ProviderStatus.SUSPENDED)
    contract(neighbour, cqc_rating=CqcRating.INADEQUATE)
    good = contract(neighbour)
    with_neighbours(zone, neighbour)

    assert ask_in_turn(open_package(zone)) == [[good]]


# --- remaining capacity ----------------------------------------------------------------


@time_machine.travel(TUESDAY, tick=False)
def test_capacity_used_up_by_placed_work_no_longer_puts_a_provider_first(api, users):
    zone, p = market(AllocationMode.CASCADE, primary=False, secondary=False, framework=2)
    declared_20, declared_15 = p["framework"]
    CapacityFactory(provider=declared_20, zone=zone, hours=Decimal("20"))
    CapacityFactory(provider=declared_15, zone=zone, hours=Decimal("15"))
    first = open_package(zone, weekly_hours=Decimal("14"))
    (offer,) = services.advance_brokering(package_id=first.pk)
    assert offer.provider == declared_20  # both cover 14 h: the fewest placed this week
    services.accept_offer(offer_id=offer.pk, by=None)

    second = open_package(zone, weekly_hours=Decimal("14"))
    (offer,) = services.advance_brokering(package_id=second.pk)

    assert offer.provider == declared_15  # 20 - 14 = 6 h left does not cover 14
    rows = api(users["commissioner"]).get("/api/v1/capacity/").json()["results"]
    remaining = {row["provider"]: row["remaining_hours"] for row in rows}
    assert remaining == {declared_20.code: "6.00", declared_15.code: "15.00"}


@time_machine.travel(TUESDAY, tick=False)
def test_capacity_declared_before_a_placement_is_reduced_but_a_new_declaration_starts_afresh():
    zone, p = market(AllocationMode.CASCADE, primary=False, secondary=False, framework=1)
    provider = p["framework"][0]
    capacity = CapacityFactory(provider=provider, zone=zone, hours=Decimal("20"))
    PlacedPackageFactory(zone=zone, provider=provider, weekly_hours=Decimal("5"))
    with time_machine.travel(TUESDAY + datetime.timedelta(hours=1), tick=False):
        providers_services.declare_capacity(
            by=None, provider=provider, zone=zone, week_start=capacity.week_start, hours=20
        )
    from providers.selectors import capacity_list

    (row,) = capacity_list(type(capacity).objects.all())
    assert row.remaining_hours == Decimal("20")


# --- urgent wave and offer hours ---------------------------------------------------------


def test_an_urgent_package_goes_to_the_wave_at_once_and_the_first_to_accept_wins():
    zone, p = market(AllocationMode.CASCADE, framework=2, urgent_wave=3)
    package = open_package(zone, priority="urgent")

    offers = services.advance_brokering(package_id=package.pk)

    assert [o.provider for o in offers] == [p["primary"], p["secondary"], p["framework"][0]]
    services.accept_offer(offer_id=offers[1].pk, by=None)
    statuses = sorted(Offer.objects.filter(package=package).values_list("status", flat=True))
    assert statuses == ["accepted", "withdrawn", "withdrawn"]


def test_the_wave_does_not_reach_the_reserve_before_the_zones_own_are_asked():
    zone, p = market(AllocationMode.CASCADE, framework=0, urgent_wave=3)
    reserve = contract(zone, ContractRole.RESERVE)
    package = open_package(zone, priority="urgent")

    assert ask_in_turn(package) == [[p["primary"], p["secondary"]], [reserve]]


@time_machine.travel(TUESDAY, tick=False)
def test_a_standard_package_in_a_rota_zone_gets_one_offer_and_an_urgent_one_the_wave():
    zone, _ = market(AllocationMode.ROTA, framework=1, urgent_wave=2)
    standard = services.advance_brokering(package_id=open_package(zone).pk)
    urgent = services.advance_brokering(package_id=open_package(zone, priority="urgent").pk)
    assert len(standard) == 1 and len(urgent) == 2
    # Only the first of the wave counts towards the rota's shares.
    assert [o.rota_period is not None for o in urgent] == [True, False]


def test_an_offer_sent_at_half_past_eight_in_the_evening_expires_at_half_past_seven():
    zone, _ = market(
        AllocationMode.CASCADE,
        offer_window_minutes=60,
        offer_hours_start=datetime.time(7),
        offer_hours_end=datetime.time(21),
    )
    package = open_package(zone)
    evening = datetime.datetime(2025, 3, 4, 20, 30, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(evening, tick=False):
        (offer,) = services.advance_brokering(package_id=package.pk)
    expires = timezone.localtime(offer.expires_at)
    assert (expires.date(), expires.time()) == (datetime.date(2025, 3, 5), datetime.time(7, 30))
    with time_machine.travel(evening + datetime.timedelta(hours=10, minutes=59), tick=False):
        assert services.sweep_brokering()["expired"] == 0
    with time_machine.travel(evening + datetime.timedelta(hours=11), tick=False):
        assert services.sweep_brokering()["expired"] == 1


# --- re-tries ------------------------------------------------------------------------------


def escalated_package(zone, **kwargs):
    package = open_package(zone, **kwargs)
    ask_in_turn(package)
    package.refresh_from_db()
    assert package.escalated
    return package


def pending_of(package):
    return [o.provider for o in Offer.objects.filter(package=package, status="pending")]


def test_a_contract_added_in_the_zone_re_tries_at_once(django_capture_on_commit_callbacks):
    zone, _ = market(AllocationMode.CASCADE, secondary=False)
    package = escalated_package(zone)
    newcomer = ProviderFactory()

    with django_capture_on_commit_callbacks(execute=True):
        providers_services.add_contract(by=None, zone=zone, provider=newcomer, role="framework")

    package.refresh_from_db()
    assert pending_of(package) == [newcomer]
    assert not package.escalated and package.brokering_round == 2


def test_a_contract_added_in_a_neighbour_re_tries_at_once(django_capture_on_commit_callbacks):
    zone, _ = market(AllocationMode.CASCADE, secondary=False)
    neighbour = ZoneFactory(districts=["EX8"])
    with_neighbours(zone, neighbour)
    package = escalated_package(zone)
    newcomer = ProviderFactory()

    with django_capture_on_commit_callbacks(execute=True):
        providers_services.add_contract(by=None, zone=neighbour, provider=newcomer, role="primary")

    assert pending_of(package) == [newcomer]


def test_a_provider_made_active_re_tries_at_once(django_capture_on_commit_callbacks):
    zone, _ = market(AllocationMode.CASCADE, secondary=False)
    waiting = contract(zone, status=ProviderStatus.ONBOARDING)
    package = escalated_package(zone)

    with django_capture_on_commit_callbacks(execute=True):
        providers_services.update_provider(provider_id=waiting.pk, by=None, status="active")

    assert pending_of(package) == [waiting]


@time_machine.travel(TUESDAY, tick=False)
def test_capacity_declared_in_the_zone_re_tries_at_once_asking_one_whose_offer_expired(
    django_capture_on_commit_callbacks,
):
    zone, p = market(AllocationMode.CASCADE, secondary=False)
    package = open_package(zone)
    ask_in_turn(package, declines=False)  # the primary let it expire
    package.refresh_from_db()
    assert package.escalated

    with django_capture_on_commit_callbacks(execute=True):
        providers_services.declare_capacity(
            by=None,
            provider=p["primary"],
            zone=zone,
            week_start=datetime.date(2025, 3, 3),
            hours=Decimal("30"),
        )

    assert pending_of(package) == [p["primary"]]


def test_the_timer_re_tries_every_retry_minutes_and_never_re_asks_a_decliner():
    with time_machine.travel(TUESDAY, tick=False) as clock:
        zone, p = market(AllocationMode.CASCADE, secondary=False, retry_minutes=30)
        package = escalated_package(zone)  # the primary declined
        quiet = contract(zone, status=ProviderStatus.SUSPENDED)
        # Made active behind brokering's back (no signal): only the timer can find it.
        type(quiet).objects.filter(pk=quiet.pk).update(status=ProviderStatus.ACTIVE)

        clock.shift(datetime.timedelta(minutes=29))
        assert services.sweep_brokering()["retried"] == 0
        clock.shift(datetime.timedelta(minutes=1))
        assert services.sweep_brokering()["retried"] == 1
        assert pending_of(package) == [quiet]
        package.refresh_from_db()
        assert not package.escalated  # offers of the re-try are pending

        Offer.objects.filter(package=package, status="pending").update(
            expires_at=timezone.now() + datetime.timedelta(seconds=1)
        )
        clock.shift(datetime.timedelta(minutes=1))
        services.sweep_brokering()  # expired: escalated again, and re-tried 30 minutes on
        package.refresh_from_db()
        assert package.escalated
        clock.shift(datetime.timedelta(minutes=30))
        services.sweep_brokering()
        assert pending_of(package) == [quiet]  # asked again: it only let it expire
        assert p["primary"] not in [o.provider for o in package.offers.filter(round__gt=1)]


def test_a_re_try_that_finds_nobody_leaves_it_escalated_and_tells_the_brokers_only_once():
    broker = BrokerFactory()
    with time_machine.travel(TUESDAY, tick=False) as clock:
        zone, _ = market(AllocationMode.CASCADE, secondary=False, retry_minutes=10)
        package = escalated_package(zone)
        for _ in range(3):
            clock.shift(datetime.timedelta(minutes=10))
            assert services.sweep_brokering()["retried"] == 1
        package.refresh_from_db()
        assert package.escalated and package.brokering_round == 1
        told = Notification.objects.filter(recipient=broker, kind=NotificationKind.ESCALATED)
        assert told.count() == 1


# --- accepting re-checks eligibility ----------------------------------------------------------


@pytest.mark.parametrize(
    "change", [{"status": ProviderStatus.SUSPENDED}, {"cqc_rating": CqcRating.INADEQUATE}]
)
def test_accept_by_a_provider_no_longer_eligible_is_409_and_brokering_moves_on(
    api, change, django_capture_on_commit_callbacks
):
    zone, p = market(AllocationMode.CASCADE)
    package = open_package(zone)
    (offer,) = services.advance_brokering(package_id=package.pk)
    type(p["primary"]).objects.filter(pk=p["primary"].pk).update(**change)

    refused = pytest.raises(Conflict, match=r"not active|only providers rated Outstanding or Good")
    with django_capture_on_commit_callbacks(execute=True), refused:
        services.accept_offer(offer_id=offer.pk, by=None)

    offer.refresh_from_db()
    package.refresh_from_db()
    assert (offer.status, offer.withdrawn_because) == ("withdrawn", "ineligible")
    assert package.status == PackageStatus.OPEN
    assert pending_of(package) == [p["secondary"]]


def test_accept_through_the_api_by_a_suspended_provider_answers_409_with_why(api, users):
    zone, _ = market(AllocationMode.CASCADE)
    package = open_package(zone)
    provider = users["provider"].provider
    ContractFactory(zone=zone, provider=provider, role=ContractRole.RESERVE)
    Offer.objects.create(
        package=package,
        provider=provider,
        round=package.brokering_round,
        sent_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    offer = Offer.objects.get(provider=provider)
    type(provider).objects.filter(pk=provider.pk).update(status=ProviderStatus.SUSPENDED)

    response = api(users["provider"]).post(f"/api/v1/offers/{offer.pk}/accept/")

    assert response.status_code == 409
    assert "suspended, not active" in str(response.json())
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert Package.objects.get(pk=package.pk).status == PackageStatus.OPEN


# --- the fill target -----------------------------------------------------------------------


def test_fill_overdue_after_the_zones_target_and_one_notification_to_its_brokers(api, users):
    broker = BrokerFactory()
    elsewhere = BrokerFactory()
    elsewhere.zones.add(ZoneFactory(districts=["EX9"]))
    with time_machine.travel(TUESDAY, tick=False) as clock:
        zone, _ = market(AllocationMode.CASCADE, fill_target_urgent_minutes=60)
        package = open_package(zone, priority="urgent", submitted_at=timezone.now())
        services.advance_brokering(package_id=package.pk)
        url = f"/api/v1/packages/{package.pk}/"
        clock.shift(datetime.timedelta(minutes=60))
        services.sweep_brokering()
        assert api(users["broker"]).get(url).json()["fill_overdue"] is False
        clock.shift(datetime.timedelta(minutes=1))
        assert services.sweep_brokering()["overdue"] == 1
        services.sweep_brokering()
        assert api(users["broker"]).get(url).json()["fill_overdue"] is True
    told = Notification.objects.filter(kind=NotificationKind.FILL_OVERDUE)
    assert list(told.values_list("recipient", flat=True)).count(broker.pk) == 1
    assert not told.filter(recipient=elsewhere).exists()  # not this broker's zone


def test_current_offers_show_who_holds_the_package_to_brokers_only(api, users):
    zone, p = market(AllocationMode.BROADCAST, secondary=False)
    package = open_package(zone)
    (offer,) = services.advance_brokering(package_id=package.pk)

    data = api(users["broker"]).get(f"/api/v1/packages/{package.pk}/").json()

    (held,) = data["current_offers"]
    assert held["provider"] == p["primary"].code
    assert datetime.datetime.fromisoformat(held["expires_at"]) == offer.expires_at
    listed = api(users["broker"]).get("/api/v1/packages/").json()["results"]
    assert listed[0]["current_offers"][0]["provider"] == p["primary"].code
    assert (
        "current_offers" not in api(users["finance"]).get(f"/api/v1/packages/{package.pk}/").json()
    )


# --- the broker's pages --------------------------------------------------------------------


def test_the_worklist_shows_who_holds_the_offer_the_round_and_the_zones_capacity(client):
    broker = BrokerFactory()
    zone, p = market(AllocationMode.CASCADE, fill_target_standard_minutes=1)
    CapacityFactory(provider=p["secondary"], zone=zone, hours=Decimal("12"))
    package = open_package(zone, submitted_at=timezone.now() - datetime.timedelta(minutes=5))
    (offer,) = services.advance_brokering(package_id=package.pk)
    services.decline_offer(offer_id=offer.pk, by=None, reason="call_times")
    services.advance_brokering(package_id=package.pk)
    client.force_login(broker)

    page = client.get("/packages/worklist/").content.decode()

    assert p["secondary"].name in page and "answer within" in page
    assert "1 / 0" in page  # one declined, none expired
    assert "12 h" in page and "Overdue" in page
    assert page.count("app-row--overdue") == 1  # the whole row stands out, not only its tag


def test_place_by_hand_ranks_providers_with_their_facts_and_needs_an_override(client):
    broker = BrokerFactory()
    zone, p = market(AllocationMode.CASCADE, secondary=False)
    suspended = contract(zone, status=ProviderStatus.SUSPENDED, name="Zed Care")
    package = open_package(zone)
    client.force_login(broker)
    url = f"/brokering/packages/{package.pk}/assign/"

    page = client.get(url)

    ranked = [candidate.provider for candidate, _ in page.context["ranked"]]
    assert ranked == [p["primary"], suspended]
    assert "is suspended, not active" in page.content.decode()
    refused = client.post(url, {"provider": suspended.code, "reason": "Family"})
    assert "Give an override reason" in refused.content.decode()
    body = {"provider": suspended.code, "reason": "Family", "override_reason": "Known carer"}
    assert client.post(url, body).status_code == 302
    package.refresh_from_db()
    assert package.provider == suspended
