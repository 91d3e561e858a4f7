"""The daily delivery rollup stays equal to the sums over the delivered visits after every
kind of write (recording, importing, invoicing), at once from two sessions too; spend reads
it and gives what the visits give."""

import contextlib
import datetime
import threading
from collections import defaultdict
from decimal import Decimal
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clock import today
from invoicing import pay, rollup, selectors, services
from invoicing.models import DailyDelivery, DeliveredVisit, PeriodDelivery
from packages import commissioned
from providers.services import add_rate
from tests.factories import (
    FlexiblePlanFactory,
    PlacedPackageFactory,
    ProviderFactory,
    ProviderUserFactory,
    RateFactory,
    ZoneFactory,
)
from tests.invoicing.conftest import MARCH_1, NOW
from tests.invoicing.factories import record

pytestmark = pytest.mark.django_db
DAILY_45 = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "time": datetime.time(8)}


def march(day):
    return datetime.date(2025, 3, day)


def kept():
    """The rollup's rows: {(zone id, date): (delivered min, £ x 60, payable min, £ x 60,
    visits)}."""
    return {
        (row.zone_id, row.date): (
            row.delivered_minutes,
            row.delivered_minute_pounds,
            row.payable_minutes,
            row.payable_minute_pounds,
            row.visits,
        )
        for row in DailyDelivery.objects.all()
    }


PERIOD_MEASURES = (*rollup.KEPT, "paid_minute_pounds")


def assert_in_step():
    """The rollup equals its recomputation from the visits (what rebuild() writes), and each
    zone's period row the sum of its days' rows, and the visits list's count of them all
    the periods' number of visits."""
    expected = {(zone, day): (*sums, 0) for zone, day, *sums in rollup.recomputed()}
    counts = DeliveredVisit.objects.values_list("zone_id", "date").annotate(n=Count("*"))
    for zone, day, n in counts.order_by():
        expected[(zone, day)] = (*expected.get((zone, day), (0, 0, 0, 0))[:4], n)
    assert kept() == expected
    assert selectors.visit_count() == DeliveredVisit.objects.count()
    from_days = defaultdict(lambda: [0] * len(PERIOD_MEASURES))
    for zone, day, *sums in DailyDelivery.objects.values_list("zone_id", "date", *PERIOD_MEASURES):
        period = from_days[(zone, commissioned.spend_period_start(day))]
        for index, value in enumerate(sums):
            period[index] += value
    periods = {
        (zone, start): list(sums)
        for zone, start, *sums in PeriodDelivery.objects.values_list(
            "zone_id", "period_start", *PERIOD_MEASURES
        )
        if any(sums)
    }
    assert periods == {key: sums for key, sums in from_days.items() if any(sums)}


def spend(start, end):
    """spend_by_zone's delivered and payable numbers, {zone code: (h, £, h, £)}."""
    return {
        row["zone"]: (
            row["delivered_hours"],
            row["delivered_pounds"],
            row["payable_hours"],
            row["payable_pounds"],
        )
        for row in selectors.spend_by_zone(start=start, end=end)
    }


def spend_as_before(start, end):
    """The same numbers as spend_by_zone worked them out before the rollup: every visit,
    in its package's zone, priced at the base rate it was recorded at (the rate in force
    on its day) until invoiced."""
    money = DecimalField(max_digits=20, decimal_places=6)
    delivered = F("actual_minutes") * F("carers")
    payable = Coalesce("paid_minutes", "payable_minutes")
    rows = (
        DeliveredVisit.objects.filter(date__range=(start, end))
        .values("package__zone__code")
        .annotate(
            delivered=Coalesce(Sum(delivered, filter=Q(missed=False)), 0),
            delivered_money=Sum(
                ExpressionWrapper(delivered * F("base_rate"), output_field=money),
                filter=Q(missed=False),
            ),
            payable=Coalesce(Sum(payable), 0),
            payable_money=Sum(
                ExpressionWrapper(payable * Coalesce("rate", "base_rate"), output_field=money)
            ),
        )
    )

    def pounds(minute_pounds):
        return (Decimal(minute_pounds or 0) / 60).quantize(pay.PENCE)

    return {
        row["package__zone__code"]: (
            pay.hours(row["delivered"]),
            pounds(row["delivered_money"]),
            pay.hours(row["payable"]),
            pounds(row["payable_money"]),
        )
        for row in rows
    }


def assert_spend_as_before(start, end):
    nothing = (Decimal("0.00"),) * 4

    def some(rows):
        return {code: sums for code, sums in rows.items() if sums != nothing}

    assert some(spend(start, end)) == some(spend_as_before(start, end))


def invoice(user, first, last, reference):
    return services.build_invoice(by=user, period_start=first, period_end=last, reference=reference)


# --- each kind of write -----------------------------------------------------------------


def test_a_recorded_visit_adds_its_care_to_its_zone_and_day(provider_user, package):
    record(provider_user, package, MARCH_1, "08:00", "08:45")
    record(provider_user, package, march(2), "08:00", "08:00")  # missed: no care, a visit
    assert kept() == {
        (package.zone_id, MARCH_1): (45, Decimal("1123.2"), 45, Decimal("1123.2"), 1),
        (package.zone_id, march(2)): (0, 0, 0, 0, 1),
    }
    visit = DeliveredVisit.objects.get(date=MARCH_1)
    assert (visit.zone_id, visit.base_rate) == (package.zone_id, Decimal("24.96"))
    assert_in_step()


def test_a_file_adds_every_visit(api, provider_user, package, provider_org):
    elsewhere = PlacedPackageFactory(provider=provider_org, start_date=MARCH_1)
    lines = ["package,date,actual_start,actual_end,carers"] + [
        f"{p.pk},2025-03-0{day},08:00,08:{40 + day}" + ",1"
        for p in (package, elsewhere)
        for day in range(1, 8)
    ]
    upload = SimpleUploadedFile("v.csv", "\n".join(lines).encode(), content_type="text/csv")
    response = api(provider_user).post(
        "/api/v1/visits/import/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert len(kept()) == 14
    assert_in_step()
    assert_spend_as_before(MARCH_1, march(7))


def test_an_invoice_records_missed_visits_and_caps_a_flexible_plan(provider_user, package):
    # 7 hours per 4 weeks: 420 minutes, of the 450 delivered in 10 visits (the 5th missed).
    FlexiblePlanFactory(
        package=package,
        week1_hours=Decimal("2"),
        week2_hours=Decimal("1"),
        week3_hours=Decimal("2"),
        week4_hours=Decimal("1"),
        contingency_hours=Decimal("1"),
    )
    for day in range(1, 12):
        if day != 5:
            record(provider_user, package, march(day), "08:00", "08:45")
    invoice(provider_user, MARCH_1, march(11), "F-1")
    assert DeliveredVisit.objects.filter(missed=True).count() == 1
    assert_in_step()
    # The missed visit's day has a row of its own: its number, no care.
    assert kept()[(package.zone_id, march(5))] == (0, 0, 0, 0, 1)
    right = kept()
    rollup.rebuild()
    assert kept() == right
    zone = spend(MARCH_1, march(11))[package.zone.code]
    assert zone == (Decimal("7.50"), Decimal("187.20"), Decimal("7.00"), Decimal("174.72"))
    assert_spend_as_before(MARCH_1, march(11))

    # A second invoice: the cycle's allowance is spent, so the 12th pays nothing.
    record(provider_user, package, march(12), "08:00", "08:45")
    assert spend(march(12), march(12))[package.zone.code][2] == Decimal("0.75")
    invoice(provider_user, march(12), march(12), "F-2")
    assert_in_step()
    assert spend(march(12), march(12))[package.zone.code][2:] == (Decimal("0.00"),) * 2
    assert_spend_as_before(MARCH_1, march(12))


def test_weekend_and_bank_holiday_rates_are_payable_once_invoiced(time_machine, users):
    time_machine.move_to(datetime.datetime(2025, 5, 7, 9, tzinfo=datetime.UTC), tick=False)
    provider = users["provider"].provider
    provider.weekend_uplift_percent = Decimal("10")
    provider.bank_holiday_uplift_percent = Decimal("50")
    provider.save()
    package = PlacedPackageFactory(provider=provider, start_date=datetime.date(2025, 5, 2))
    for day in (2, 3, 4, 5):  # Friday, Saturday, Sunday, Early May bank holiday Monday
        record(users["provider"], package, datetime.date(2025, 5, day), "08:00", "08:45")
    first, last = datetime.date(2025, 5, 2), datetime.date(2025, 5, 5)
    # At the base rate until invoiced: 3 hours at 24.96.
    assert spend(first, last)[package.zone.code][3] == Decimal("74.88")
    invoice(users["provider"], first, last, "MAY")
    assert_in_step()
    # 0.75 h at 24.96 + 2 x 0.75 h at 27.456 + 0.75 h at 37.44 = 87.984
    assert spend(first, last)[package.zone.code] == (
        Decimal("3.00"),
        Decimal("74.88"),
        Decimal("3.00"),
        Decimal("87.98"),
    )
    assert_spend_as_before(first, last)


def test_double_handed_visits_count_each_carer(provider_user, provider_org):
    package = PlacedPackageFactory(
        provider=provider_org,
        start_date=MARCH_1,
        visits=[{**DAILY_45, "duration_minutes": 30, "carers": 2, "purpose": "personal_care"}],
    )
    record(provider_user, package, MARCH_1, "08:00", "08:30", carers=2)  # 60 carer minutes
    record(provider_user, package, march(2), "08:00", "08:30", carers=1)  # one came: short
    assert spend(MARCH_1, march(2))[package.zone.code][:3] == (
        Decimal("1.50"),
        Decimal("37.44"),
        Decimal("1.50"),
    )
    invoice(provider_user, MARCH_1, march(2), "D-1")
    assert_in_step()
    assert_spend_as_before(MARCH_1, march(2))


def test_care_is_priced_at_the_rate_in_force_on_its_day(provider_user, package):
    """A rate from 2 March prices the care of 2 March on, recorded and invoiced alike;
    1 March keeps the rate before it."""
    RateFactory(provider=package.provider, hourly_rate=Decimal("30.00"), effective_from=march(2))
    record(provider_user, package, MARCH_1, "08:00", "08:45")  # 0.75 h at 24.96 = 18.72
    record(provider_user, package, march(2), "08:00", "08:45")  # 0.75 h at 30 = 22.50
    assert spend(MARCH_1, march(2))[package.zone.code][1::2] == (Decimal("41.22"),) * 2
    invoice(provider_user, MARCH_1, march(2), "R-1")
    assert_in_step()
    assert spend(MARCH_1, march(2))[package.zone.code][1::2] == (Decimal("41.22"),) * 2


# --- any sequence of writes ---------------------------------------------------------------

MAY_1 = datetime.date(2025, 5, 1)
MAY_NOW = datetime.datetime(2025, 5, 14, 9, tzinfo=datetime.UTC)  # Wednesday 14 May
STARTS = ["07:50", "08:00", "08:20", "12:00", "23:40"]
DAY = st.integers(0, 13)  # 1 to 14 May: weekends and the Early May bank holiday
A_VISIT = st.tuples(
    st.integers(0, 1), DAY, st.sampled_from(STARTS), st.sampled_from([0, 20, 30, 44, 45, 60]),
    st.integers(1, 2),
)  # fmt: skip
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("record"), st.integers(0, 1), A_VISIT),
        st.tuples(st.just("import"), st.integers(0, 1), st.lists(A_VISIT, min_size=1, max_size=4)),
        st.tuples(st.just("invoice"), st.integers(0, 1), DAY, st.integers(0, 13)),
        st.tuples(st.just("rate"), st.integers(0, 1), st.sampled_from(["24.96", "27.68"])),
    ),
    max_size=8,
)


def _market():
    """Two providers with uplifts; A has a daily call in zone X and a double-handed call
    under a tight flexible plan in zone Y, B a daily call in zone X."""
    x, y = ZoneFactory(), ZoneFactory()
    providers = [
        ProviderFactory(
            weekend_uplift_percent=Decimal("10"), bank_holiday_uplift_percent=Decimal("50")
        ),
        ProviderFactory(hourly_rate=Decimal("27.68"), weekend_uplift_percent=Decimal("20")),
    ]
    users = [ProviderUserFactory(provider=provider) for provider in providers]
    double = {**DAILY_45, "duration_minutes": 30, "carers": 2, "purpose": "personal_care"}
    packages = [
        [
            PlacedPackageFactory(provider=providers[0], zone=x, start_date=MAY_1),
            PlacedPackageFactory(provider=providers[0], zone=y, start_date=MAY_1, visits=[double]),
        ],
        [PlacedPackageFactory(provider=providers[1], zone=x, start_date=MAY_1)],
    ]
    FlexiblePlanFactory(
        package=packages[0][1], **{f"week{n}_hours": Decimal("1") for n in range(1, 5)}
    )
    return providers, users, packages


def _record_of(packages, visit):
    which, day, start, minutes, carers = visit
    begin = datetime.datetime.combine(MAY_1, datetime.time.fromisoformat(start))
    return {
        "package": packages[which % len(packages)].pk,
        "date": (MAY_1 + datetime.timedelta(days=day)).isoformat(),
        "actual_start": start,
        "actual_end": (begin + datetime.timedelta(minutes=minutes)).strftime("%H:%M"),
        "carers": carers,
    }


def _apply(operation, providers, users, packages, references):
    kind, who, *rest = operation
    if kind == "record":
        services.record_visit(by=users[who], record=_record_of(packages[who], rest[0]))
    elif kind == "import":
        records = [(row, _record_of(packages[who], v)) for row, v in enumerate(rest[0], 2)]
        services.import_visits(by=users[who], records=records)
    elif kind == "invoice":
        first = MAY_1 + datetime.timedelta(days=rest[0])
        last = min(first + datetime.timedelta(days=rest[1]), MAY_1 + datetime.timedelta(days=13))
        invoice(users[who], first, last, f"H-{next(references)}")
    else:
        add_rate(
            by=None, provider=providers[who], hourly_rate=Decimal(rest[0]), effective_from=today()
        )


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_any_sequence_of_writes_keeps_the_rollup_in_step(time_machine, operations):
    time_machine.move_to(MAY_NOW, tick=False)
    with transaction.atomic():
        providers, users, packages = _market()
        references = iter(range(100))
        for operation in operations:
            # A write may be refused whole (a visit recorded twice, an invoice with
            # nothing new): the rollup must be in step either way.
            with contextlib.suppress(ValidationError):
                _apply(operation, providers, users, packages, references)
            assert_in_step()
        if not any(operation[0] == "rate" for operation in operations):
            assert_spend_as_before(MAY_1, MAY_1 + datetime.timedelta(days=13))
        transaction.set_rollback(True)


# --- at once -------------------------------------------------------------------------------


def _at_once(*jobs):
    """Run the jobs in threads started together; answer the errors they raised."""
    barrier, errors = threading.Barrier(len(jobs)), []

    def run(job):
        barrier.wait()
        try:
            job()
        except Exception as error:  # reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _two_providers_in_one_zone():
    zone = ZoneFactory()
    packages = [
        PlacedPackageFactory(provider=ProviderFactory(), zone=zone, start_date=MARCH_1)
        for _ in range(2)
    ]
    users = [ProviderUserFactory(provider=package.provider) for package in packages]
    return zone, packages, users


def _file(package, days, end="08:45"):
    return [
        (row, {"package": package.pk, "date": march(day).isoformat(), "actual_start": "08:00",
               "actual_end": end, "carers": 1})
        for row, day in enumerate(days, 2)
    ]  # fmt: skip


def test_two_providers_recording_in_one_zone_and_day_at_once_both_count(
    transactional_db, time_machine
):
    time_machine.move_to(NOW, tick=False)
    _, (a, b), (user_a, user_b) = _two_providers_in_one_zone()
    for round_ in range(3):
        days = [1 + 3 * round_, 2 + 3 * round_, 3 + 3 * round_]
        errors = _at_once(
            partial(services.import_visits, by=user_a, records=_file(a, days)),
            # The other file lists the days the other way round: the rows are still
            # locked in one order, so neither waits for the other in a circle.
            partial(services.import_visits, by=user_b, records=_file(b, days[::-1], "08:30")),
        )
        assert errors == []
    assert_in_step()
    minutes = {day: sums[0] for (_, day), sums in kept().items()}
    assert minutes == {march(day): 45 + 30 for day in range(1, 10)}


def test_an_invoice_and_a_recording_in_one_zone_at_once_both_count(transactional_db, time_machine):
    time_machine.move_to(NOW, tick=False)
    _, (a, b), (user_a, user_b) = _two_providers_in_one_zone()
    a.provider.weekend_uplift_percent = Decimal("10")
    a.provider.save()
    services.import_visits(by=user_a, records=_file(a, range(1, 10)))
    errors = _at_once(
        partial(invoice, user_a, MARCH_1, march(9), "A-1"),
        partial(services.import_visits, by=user_b, records=_file(b, range(9, 0, -1))),
    )
    assert errors == []
    assert_in_step()
    assert_spend_as_before(MARCH_1, march(9))


# --- rebuilding, and query counts ---------------------------------------------------------


def test_the_command_rebuilds_the_zones_and_days_asked(provider_user, package, provider_org):
    other = PlacedPackageFactory(provider=provider_org, start_date=MARCH_1)
    for p in (package, other):
        for day in (1, 2):
            record(provider_user, p, march(day), "08:00", "08:45")
    right = kept()
    DailyDelivery.objects.update(delivered_minutes=0)
    DailyDelivery.objects.filter(zone=other.zone, date=march(2)).delete()

    call_command("rebuild_delivery_rollup", "--zone", package.zone.code, "--since", "2025-03-02")
    rows = kept()
    assert rows[(package.zone_id, march(2))] == right[(package.zone_id, march(2))]
    assert rows[(package.zone_id, MARCH_1)][0] == 0  # outside what was asked
    assert (other.zone_id, march(2)) not in rows

    call_command("rebuild_delivery_rollup")
    assert kept() == right
    with pytest.raises(CommandError, match="No zone NOWHERE"):
        call_command("rebuild_delivery_rollup", "--zone", "NOWHERE")


def test_recording_queries_do_not_grow_with_the_zones_and_days(provider_user, provider_org, now):
    packages = [PlacedPackageFactory(provider=provider_org, start_date=MARCH_1) for _ in range(4)]

    def queries(days, chosen):
        records = [row for p in chosen for row in _file(p, days)]
        with CaptureQueriesContext(connection) as captured:
            services.import_visits(by=provider_user, records=records)
        return len(captured)

    assert queries([1], packages[:1]) == queries(range(2, 12), packages)
    assert_in_step()


def test_spend_queries_do_not_grow_with_visits_or_periods(provider_user, provider_org, now):
    def queries(periods):
        with CaptureQueriesContext(connection) as captured:
            selectors.spend_by_zone_per_period(periods)
        return len(captured)

    one = [(MARCH_1, march(7))]
    first = queries(one)
    for _ in range(3):
        package = PlacedPackageFactory(provider=provider_org, start_date=MARCH_1)
        services.import_visits(by=provider_user, records=_file(package, range(1, 12)))
    assert queries([(MARCH_1, march(4)), (march(5), march(8)), (march(9), march(11))]) == first


def test_a_whole_period_that_has_passed_is_read_from_its_period_row(
    provider_user, provider_org, finance, now
):
    """27 January to 23 February 2025 is a whole spend period (from 1 January 2024): its
    numbers come from the zone's period row, kept with the days by recording, pricing and
    paying, and repaired by a rebuild; the same days read one by one agree."""
    first, last = datetime.date(2025, 1, 27), datetime.date(2025, 2, 23)
    assert commissioned.whole_period(first, last)
    package = PlacedPackageFactory(provider=provider_org, start_date=first)
    records = [
        (row, {"package": package.pk, "date": (first + datetime.timedelta(days=n)).isoformat(),
               "actual_start": "08:00", "actual_end": "08:45", "carers": 1})
        for row, n in enumerate(range(0, 28, 3), 2)
    ]  # fmt: skip
    services.import_visits(by=provider_user, records=records)
    invoice = services.build_invoice(
        by=provider_user, period_start=first, period_end=last, reference="FEB"
    )
    services.approve_invoice(invoice_id=invoice.pk, by=finance)
    services.pay_invoice(
        invoice_id=invoice.pk, by=finance, paid_on=now.date(), payment_reference="BACS-FEB"
    )
    assert_in_step()
    whole = selectors.spend_by_zone(start=first, end=last)
    halves = selectors.spend_by_zone_per_period(
        [(first, datetime.date(2025, 2, 9)), (datetime.date(2025, 2, 10), last)]
    )
    [row] = [r for r in whole if r["zone"] == package.zone.code]
    parts = [r for rows in halves for r in rows if r["zone"] == package.zone.code]
    for measure in ("delivered_pounds", "payable_pounds", "paid_pounds", "payable_hours"):
        assert row[measure] == sum(part[measure] for part in parts) > 0, measure
    # Read from the period row: a drifted row shows, and a rebuild repairs it.
    PeriodDelivery.objects.filter(zone=package.zone, period_start=first).update(
        paid_minute_pounds=0
    )
    [drifted] = [
        r for r in selectors.spend_by_zone(start=first, end=last) if r["zone"] == package.zone.code
    ]
    assert drifted["paid_pounds"] == 0
    rollup.rebuild(first=datetime.date(2025, 2, 1), last=datetime.date(2025, 2, 2))
    assert_in_step()
    [repaired] = [
        r for r in selectors.spend_by_zone(start=first, end=last) if r["zone"] == package.zone.code
    ]
    assert repaired == row
