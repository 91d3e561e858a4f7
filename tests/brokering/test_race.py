"""Exactly one winner among simultaneous accepts, on PostgreSQL with real threads."""

import datetime
import threading
import time
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from brokering import services
from brokering.models import Offer, OfferStatus
from core.errors import Conflict
from packages.models import Package, PackageStatus
from zones.models import AllocationMode

from .factories import market, open_package

THREADS = 50


def race(offer_ids):
    """Accept each offer id from its own thread, all released at once; answers the outcomes."""
    barrier = threading.Barrier(len(offer_ids))
    outcomes = []

    def accept(offer_id):
        barrier.wait()
        try:
            services.accept_offer(offer_id=offer_id, by=None)
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(offer_id,)) for offer_id in offer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_fifty_providers_accepting_at_once_give_one_winner():
    zone, _ = market(AllocationMode.BROADCAST, framework=THREADS - 2)
    package = open_package(zone)
    offers = services.advance_brokering(package_id=package.pk)
    assert len(offers) == THREADS

    outcomes = race([offer.pk for offer in offers])

    assert sorted(outcomes) == ["conflict"] * (THREADS - 1) + ["won"]
    package.refresh_from_db()
    winner = Offer.objects.get(status=OfferStatus.ACCEPTED)
    assert package.status == PackageStatus.PLACED and package.provider_id == winner.provider_id
    assert Offer.objects.filter(status=OfferStatus.WITHDRAWN).count() == THREADS - 1


@pytest.mark.django_db(transaction=True)
def test_fifty_accepts_of_the_same_offer_give_one_winner():
    zone, _ = market(AllocationMode.CASCADE)
    package = open_package(zone)
    (offer,) = services.advance_brokering(package_id=package.pk)

    outcomes = race([offer.pk] * THREADS)

    assert sorted(outcomes) == ["conflict"] * (THREADS - 1) + ["won"]
    assert Package.objects.get(pk=package.pk).status == PackageStatus.PLACED


@pytest.mark.django_db
def test_the_database_refuses_a_second_accepted_offer_in_a_round():
    zone, _ = market(AllocationMode.BROADCAST)
    package = open_package(zone)
    first, second = services.advance_brokering(package_id=package.pk)
    accepted = {"status": OfferStatus.ACCEPTED, "answered_at": timezone.now()}
    Offer.objects.filter(pk=first.pk).update(**accepted)

    with pytest.raises(IntegrityError, match="offer_one_accepted_per_round"), transaction.atomic():
        Offer.objects.filter(pk=second.pk).update(**accepted)


@pytest.mark.django_db(transaction=True)
@time_machine.travel(datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_rota_shares_stay_exact_when_workers_broker_at_the_same_time():
    zone, p = market(AllocationMode.ROTA, shares=(80, 20))
    package_ids = [open_package(zone).pk for _ in range(20)]
    barrier = threading.Barrier(len(package_ids))

    def broker(package_id):
        barrier.wait()
        try:
            services.advance_brokering(package_id=package_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=broker, args=(pk,)) for pk in package_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    firsts = Offer.objects.filter(package_id__in=package_ids)
    assert firsts.filter(provider=p["primary"]).count() == 16
    assert firsts.filter(provider=p["secondary"]).count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_capped_provider_accepting_many_packages_at_once_stays_within_its_cap():
    zone, p = market(AllocationMode.BROADCAST, secondary=False)
    capped = p["primary"]
    capped.weekly_hours_cap = Decimal("10")
    capped.save()
    packages = [open_package(zone, weekly_hours=Decimal("4")) for _ in range(10)]
    offers = [services.advance_brokering(package_id=package.pk)[0] for package in packages]

    outcomes = race([offer.pk for offer in offers])

    assert sorted(outcomes) == ["conflict"] * 8 + ["won"] * 2
    placed = Package.objects.filter(provider=capped, status=PackageStatus.PLACED)
    assert placed.count() == 2


@pytest.mark.django_db(transaction=True)
def test_accepts_queued_behind_the_winners_lock_are_refused_once_it_commits():
    """Those that read their offer pending wait for the package's lock, and are let go
    saying why when the winner commits (not one of them places it again)."""
    zone, _ = market(AllocationMode.BROADCAST, framework=3)
    package = open_package(zone)
    winner, *losers = services.advance_brokering(package_id=package.pk)
    placed, release = threading.Event(), threading.Event()
    place = services._place_by_offer

    def place_then_hold(offer, package, *, by):
        place(offer, package, by=by)
        placed.set()
        assert release.wait(30)

    answers = {}

    def accept(offer_id):
        try:
            services.accept_offer(offer_id=offer_id, by=None)
            answers[offer_id] = "won"
        except Conflict as refused:
            answers[offer_id] = str(refused)
        finally:
            connection.close()

    with mock.patch.object(services, "_place_by_offer", place_then_hold):
        threads = [threading.Thread(target=accept, args=(winner.pk,))]
        threads[0].start()
        assert placed.wait(30)
        threads += [threading.Thread(target=accept, args=(o.pk,)) for o in losers]
        for thread in threads[1:]:
            thread.start()
        waiting = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        with connection.cursor() as cursor:
            for _ in range(300):
                cursor.execute(waiting)
                if cursor.fetchone()[0] == len(losers):
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the losers did not queue for the package's lock")
        release.set()
        for thread in threads:
            thread.join()

    refused = "This package is no longer available: it has been placed or closed."
    assert answers == {winner.pk: "won"} | {o.pk: refused for o in losers}
    assert Offer.objects.filter(status=OfferStatus.ACCEPTED).get().pk == winner.pk
