"""The commissioned-care rollup: spend's commissioned hours and pounds, each day at the
rate in force that day, kept in step by the package lifecycle in the same transaction,
equal to a full recomputation, and never restated by a rate change."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from invoicing import selectors
from packages import commissioned, services
from packages.models import CommissionedDay
from providers.services import add_rate
from tests.factories import (
    CommissionerFactory,
    OpenPackageFactory,
    PlacedPackageFactory,
    ProviderFactory,
    ZoneFactory,
)

pytestmark = pytest.mark.django_db
UK = datetime.UTC
DAILY_60 = {
    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "time": datetime.time(8),
    "duration_minutes": 60,
    "purpose": "personal_care",
}
NOV_1 = datetime.date(2026, 11, 1)


def day(n, month=11):
    return datetime.date(2026, month, n)


def at(time_machine, when: datetime.date):
    time_machine.move_to(datetime.datetime.combine(when, datetime.time(12), tzinfo=UK), tick=False)


def commissioned_spend(first, last, zone):
    [row] = [r for r in selectors.spend_by_zone(start=first, end=last) if r["zone"] == zone.code]
    return row["commissioned_hours"], row["commissioned_pounds"]


def assert_in_step():
    assert commissioned.differences() == {}


def test_a_rate_change_mid_period_prices_each_day_by_its_own_rate(time_machine):
    """7 hours a week (an hour a day) at 24.96, then 30.00 from 16 November: 1-15
    November is 15 hours at 24.96, 16-28 November 13 hours at 30.00. October's spend,
    worked out before the change, is the same after it."""
    at(time_machine, day(5))
    zone = ZoneFactory()
    package = PlacedPackageFactory(
        zone=zone, visits=[DAILY_60], start_date=datetime.date(2026, 10, 1)
    )
    commissioned.close_days()  # 1 October to 4 November rolled up
    october = commissioned_spend(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31), zone)
    assert october == (Decimal("31.00"), Decimal("773.76"))

    add_rate(
        by=None, provider=package.provider, hourly_rate=Decimal("30.00"), effective_from=day(16)
    )
    at(time_machine, day(29))
    commissioned.close_days()
    assert commissioned_spend(day(1), day(28), zone) == (
        Decimal("28.00"),
        Decimal("15") * Decimal("24.96") + Decimal("13") * Decimal("30.00"),
    )
    assert (
        commissioned_spend(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31), zone) == october
    )
    assert_in_step()


def test_days_not_yet_rolled_up_are_worked_out_the_same_way(time_machine):
    at(time_machine, day(10))
    zone = ZoneFactory()
    package = PlacedPackageFactory(zone=zone, visits=[DAILY_60], start_date=day(1))
    add_rate(
        by=None, provider=package.provider, hourly_rate=Decimal("30.00"), effective_from=day(10)
    )
    at(time_machine, day(20))
    live = commissioned_spend(day(1), day(19), zone)
    commissioned.close_days()
    assert CommissionedDay.objects.filter(zone=zone).count() == 19
    assert commissioned_spend(day(1), day(19), zone) == live
    assert live == (
        Decimal("19.00"),
        Decimal("9") * Decimal("24.96") + Decimal("10") * Decimal("30.00"),
    )


def test_the_lifecycle_keeps_the_rollup_in_step(time_machine):
    """Placed with a start in the past, changed from a past date, handed back, placed with
    another provider, ended: after each, the rows equal a recomputation."""
    at(time_machine, day(10))
    zone = ZoneFactory()
    first, second = ProviderFactory(), ProviderFactory(hourly_rate=Decimal("27.68"))
    commissioner = CommissionerFactory()
    commissioned.close_days()  # nothing in care yet: the horizon is yesterday
    package = OpenPackageFactory(zone=zone, visits=[DAILY_60], start_date=day(2))
    services.mark_placed(package_id=package.pk, provider=first, by=None)
    assert_in_step()
    assert commissioned_spend(day(2), day(9), zone)[0] == Decimal("8.00")

    services.change_package(
        by=commissioner,
        package_id=package.pk,
        effective_from=day(5),
        visits=[{**DAILY_60, "duration_minutes": 120}],
        reason="More help after a fall",
    )
    assert_in_step()
    assert commissioned_spend(day(2), day(9), zone)[0] == Decimal("13.00")  # 3 x 1 + 5 x 2

    at(time_machine, day(12))
    commissioned.close_days()
    services.hand_back_package(package_id=package.pk, by=None, reason="No carers")
    services.mark_placed(package_id=package.pk, provider=second, by=None)
    at(time_machine, day(15))
    commissioned.close_days()
    services.end_package(package_id=package.pk, by=None, ended_on=day(13))
    assert_in_step()
    # 2-12 November with the first provider (3 days of 1 hour, 8 of 2 hours), 12-13
    # November with the second (each cared on the day of the hand-back), none after the
    # last day of care.
    hours, pounds = commissioned_spend(day(2), day(14), zone)
    assert hours == Decimal("23.00")
    assert pounds == 19 * Decimal("24.96") + 4 * Decimal("27.68")


def test_the_repair_command_recomputes_rows_that_drifted(time_machine):
    at(time_machine, day(10))
    zone = ZoneFactory()
    PlacedPackageFactory(zone=zone, visits=[DAILY_60], start_date=day(1))
    commissioned.close_days()
    CommissionedDay.objects.filter(zone=zone, date=day(3)).update(weekly_hours=Decimal("99"))
    CommissionedDay.objects.filter(zone=zone, date=day(4)).delete()
    # The two days differ from a recomputation; their period's row, from the days kept.
    assert len(commissioned.differences()) == 3
    call_command("rebuild_commissioned_rollup")
    assert_in_step()
    assert CommissionedDay.objects.filter(zone=zone).count() == 9


def test_spend_reads_the_same_queries_however_many_packages_and_days(
    time_machine, django_assert_max_num_queries
):
    at(time_machine, day(20))
    zone = ZoneFactory()
    PlacedPackageFactory(zone=zone, visits=[DAILY_60], start_date=day(1))
    commissioned.close_days()
    with django_assert_max_num_queries(8) as few:
        selectors.spend_by_zone(start=day(1), end=day(19))
    for _ in range(5):
        PlacedPackageFactory(zone=ZoneFactory(), visits=[DAILY_60], start_date=day(1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        selectors.spend_by_zone(start=datetime.date(2026, 9, 1), end=day(19))


@pytest.mark.django_db(transaction=True)
def test_a_placement_and_the_closing_job_at_once_count_every_day_once(time_machine):
    """The job closing yesterday and a placement starting last week, in two sessions at
    once on PostgreSQL: whichever commits first, each day is counted once."""
    at(time_machine, day(10))
    zone = ZoneFactory()
    provider = ProviderFactory()
    commissioned.close_days()
    at(time_machine, day(12))
    package = OpenPackageFactory(zone=zone, visits=[DAILY_60], start_date=day(3))
    errors = []
    barrier = threading.Barrier(2)

    def run(work):
        try:
            barrier.wait()
            work()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(commissioned.close_days,)),
        threading.Thread(
            target=run,
            args=(lambda: services.mark_placed(package_id=package.pk, provider=provider, by=None),),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_in_step()
    assert commissioned_spend(day(3), day(11), zone)[0] == Decimal("9.00")
