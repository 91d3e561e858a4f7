"""The daily delivery rollup (DailyDelivery): what each delivered visit adds to its zone
and day (its care, and one to the number of visits), kept in step by the services that write visits, in their own transaction; and
the same sums per zone and 4-week spend period (PeriodDelivery), added by every change
with its days, so that spend over whole periods reads a row per zone and period.

- `add_visits(visits)`: visits just recorded (by call monitoring, a file, the demo).
- `apply_pricing(priced, added=...)`: an invoice has just priced visits (and recorded
  its missed ones).
- `apply_payment(payment_ids)`: payments have just been made: the visits of the lines
  each paid count as paid (a line held meanwhile adds its visits when a later payment
  pays it).
- `rebuild(...)`: recompute rows from the visits (the bench generator, and a repair
  tool: the `rebuild_delivery_rollup` command).

A change is one additive upsert (`INSERT ... ON CONFLICT (date, zone_id) DO UPDATE SET
x = x + excluded.x`, in PostgreSQL and SQLite alike), its rows in key order, and the
last statement of its service's transaction: two services touching the same zones and
days lock the same rows in the same order, and hold them only while they commit.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.db.models.functions import Coalesce

from core.rollups import add_up
from packages.commissioned import PERIOD_DAYS, spend_period_start

from .models import MINUTE_POUNDS, DailyDelivery, DeliveredVisit, PeriodDelivery

MEASURES = (
    "delivered_minutes",
    "delivered_minute_pounds",
    "payable_minutes",
    "payable_minute_pounds",
)
# What a change of visits adds: their care, and their number (missed ones included: the
# visits list counts every visit from these).
KEPT = (*MEASURES, "visits")
_MONEY = DecimalField(max_digits=MINUTE_POUNDS["max_digits"], decimal_places=4)


def _minutes(visit, priced):
    """(delivered minutes, base rate, payable minutes, their rate) of one visit.
    `priced=False`: as it was before an invoice priced it (the pay rule's minutes at its
    base rate)."""
    payable, rate = visit.payable_minutes, visit.base_rate
    if priced:
        payable = visit.payable_minutes if visit.paid_minutes is None else visit.paid_minutes
        rate = visit.base_rate if visit.rate is None else visit.rate
    return visit.delivered_minutes, visit.base_rate, payable, rate


def add_visits(visits: Iterable[DeliveredVisit]) -> None:
    """Visits just recorded: add each to its zone and day."""
    _add(_totals((visit, 1, True) for visit in visits))


def apply_pricing(priced: Iterable[DeliveredVisit], *, added: Iterable[DeliveredVisit] = ()):
    """An invoice has just priced the visits `priced`, counted until now at the pay rule's
    minutes and their base rate (a visit is priced once, by the invoice it goes on), and
    recorded `added` (planned visits missed, priced too). One upsert for both."""
    changes = []
    for visit in priced:
        changes += [(visit, 1, True), (visit, -1, False)]
    changes += [(visit, 1, True) for visit in added]
    _add(_totals(changes))


def _totals(changes):
    """{(date, zone id): [the sum of each KEPT measure]} for (visit, sign, priced) changes
    (a visit priced is one change out and one in: its number does not move).

    Minutes are summed first for each day, zone and rate, then multiplied once by the
    rate (the same exact sums: Decimal products of whole minutes): a file's 50,000
    visits make a few hundred products, not 100,000."""
    minutes = defaultdict(lambda: [0, 0])  # (day, zone, base rate, rate): [delivered, payable]
    totals = defaultdict(lambda: [0, Decimal(0), 0, Decimal(0), 0])
    for visit, sign, priced in changes:
        delivered, base_rate, payable, rate = _minutes(visit, priced)
        sums = minutes[(visit.date, visit.zone_id, base_rate, rate)]
        sums[0] += sign * delivered
        sums[1] += sign * payable
        totals[(visit.date, visit.zone_id)][4] += sign
    for (day, zone_id, base_rate, rate), (delivered, payable) in minutes.items():
        sums = totals[(day, zone_id)]
        sums[0] += delivered
        sums[1] += delivered * Decimal(base_rate)
        sums[2] += payable
        sums[3] += payable * Decimal(rate)
    return totals


def _add(totals) -> None:
    rows = [(zone_id, day, *sums) for (day, zone_id), sums in sorted(totals.items()) if any(sums)]
    if not rows:
        return
    _add_days(rows)
    _add_periods(rows, KEPT)


def _add_periods(rows, measures) -> None:
    """(zone id, day, *measures) rows added to their zone's spend period."""
    periods = defaultdict(lambda: [0] * len(measures))
    for zone_id, day, *values in rows:
        sums = periods[(spend_period_start(day), zone_id)]
        for index, value in enumerate(values):
            sums[index] += value
    add_up(
        PeriodDelivery,
        ("period_start", "zone_id"),
        measures,
        [(*key, *sums) for key, sums in periods.items()],
    )


def _add_days(rows) -> None:
    table = connection.ops.quote_name(DailyDelivery._meta.db_table)
    columns = ", ".join(("zone_id", "date", *KEPT))
    additions = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in KEPT)
    fields = [DailyDelivery._meta.get_field(name) for name in ("zone", "date", *KEPT)]
    size = connection.ops.bulk_batch_size(fields, rows) or len(rows)
    one = f"({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            values = ", ".join([one] * len(batch))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values} "
                f"ON CONFLICT (date, zone_id) DO UPDATE SET {additions}",
                [value for row in batch for value in row],
            )


def apply_payment(payment_ids: Iterable[int]) -> None:
    """Payments just made (in this transaction): each zone and day adds what the visits of
    the lines they paid pay, in one upsert (rows in key order, like every change here).
    A held line is in no payment, so its visits wait for the payment that pays it."""
    _add_paid(DeliveredVisit.objects.filter(invoice_line__payment_id__in=list(payment_ids)))


def _paid_sums(visits):
    """(zone_id, date, paid minute-pounds) of `visits` (priced by their invoice)."""
    money = ExpressionWrapper(F("paid_minutes") * F("rate"), _MONEY)
    return (
        visits.filter(missed=False)
        .values("zone_id", "date")
        .annotate(paid=Sum(money))
        .values_list("zone_id", "date", "paid")
        .order_by("date", "zone_id")
    )


def _add_paid(visits, *, periods=True) -> None:
    """What `visits` pay, added to their days' paid (and, unless a rebuild sums them from
    the days afterwards, to their periods')."""
    table = connection.ops.quote_name(DailyDelivery._meta.db_table)
    select, params = _paid_sums(visits).query.sql_with_params()
    zeros = ", ".join(f"0 AS {m}" for m in MEASURES)
    columns = ", ".join(("zone_id", "date", *MEASURES, "paid_minute_pounds"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT s.zone_id, s.date, {zeros}, s.paid "
            f"FROM ({select}) AS s WHERE true ON CONFLICT (date, zone_id) DO UPDATE SET "
            f"paid_minute_pounds = {table}.paid_minute_pounds + excluded.paid_minute_pounds",
            params,
        )
    if periods:
        _add_periods(list(_paid_sums(visits)), ("paid_minute_pounds",))


def recomputed(visits=None):
    """Per zone and day, the measures summed over `visits` (a queryset; every visit by
    default) in the database: (zone_id, date, *MEASURES) rows. Missed visits add nothing."""
    visits = DeliveredVisit.objects.all() if visits is None else visits
    delivered = F("actual_minutes") * F("carers")
    payable = Coalesce("paid_minutes", "payable_minutes")
    return (
        visits.filter(missed=False)
        .values("zone_id", "date")
        .annotate(
            delivered=Sum(delivered),
            delivered_money=Sum(ExpressionWrapper(delivered * F("base_rate"), _MONEY)),
            payable=Sum(payable),
            payable_money=Sum(ExpressionWrapper(payable * Coalesce("rate", "base_rate"), _MONEY)),
        )
        .values_list("zone_id", "date", "delivered", "delivered_money", "payable", "payable_money")
        .order_by()
    )


def rebuild(
    *,
    zone_ids: Iterable[int] | None = None,
    first: datetime.date | None = None,
    last: datetime.date | None = None,
) -> int:
    """Recompute the rows of the zones and days given (all by default) from the visits;
    answer how many rows there are now. Writers wait while it runs (the table is locked
    against them in PostgreSQL), so none is counted twice or lost."""
    rows, visits = DailyDelivery.objects.all(), DeliveredVisit.objects.all()
    if zone_ids is not None:
        zone_ids = list(zone_ids)
        rows, visits = rows.filter(zone_id__in=zone_ids), visits.filter(zone_id__in=zone_ids)
    if first is not None:
        rows, visits = rows.filter(date__gte=first), visits.filter(date__gte=first)
    if last is not None:
        rows, visits = rows.filter(date__lte=last), visits.filter(date__lte=last)
    table = connection.ops.quote_name(DailyDelivery._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        rows.delete()
        select, params = recomputed(visits).query.sql_with_params()
        columns = ", ".join(("zone_id", "date", *MEASURES))
        cursor.execute(f"INSERT INTO {table} ({columns}) {select}", params)
        rows = _count_visits(visits)
        _add_paid(visits.filter(invoice_line__payment__isnull=False), periods=False)
        _rebuild_periods(zone_ids, first, last)
        return rows


def _count_visits(visits) -> int:
    """Each zone and day's number of `visits` (missed ones too), set on its row of a
    rebuild (a row of its own for a day of missed visits only); answer how many rows
    have visits: all the rebuild's (every measure comes from a visit)."""
    table = connection.ops.quote_name(DailyDelivery._meta.db_table)
    counts = visits.values("zone_id", "date").annotate(n=Count("*")).order_by()
    select, params = counts.values_list("zone_id", "date", "n").query.sql_with_params()
    zeros = ", ".join(f"0 AS {m}" for m in MEASURES)
    columns = ", ".join(("zone_id", "date", *MEASURES, "visits"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT s.zone_id, s.date, {zeros}, s.n "
            f"FROM ({select}) AS s WHERE true ON CONFLICT (date, zone_id) DO UPDATE SET "
            f"visits = excluded.visits",
            params,
        )
        return cursor.rowcount


def _rebuild_periods(zone_ids, first, last) -> None:
    """Sum the period rows of the periods that `first`..`last` touches again from their
    days' rows (in the rebuild's transaction, the day rows locked)."""
    periods, days = PeriodDelivery.objects.all(), DailyDelivery.objects.all()
    if zone_ids is not None:
        periods, days = periods.filter(zone_id__in=zone_ids), days.filter(zone_id__in=zone_ids)
    if first is not None:
        first = spend_period_start(first)
        periods, days = periods.filter(period_start__gte=first), days.filter(date__gte=first)
    if last is not None:
        last = spend_period_start(last) + datetime.timedelta(days=PERIOD_DAYS - 1)
        periods, days = periods.filter(period_start__lte=last), days.filter(date__lte=last)
    periods.delete()
    measures = (*KEPT, "paid_minute_pounds")
    _add_periods(days.values_list("zone_id", "date", *measures).iterator(), measures)


def undo_pricing(priced: Iterable[DeliveredVisit], *, removed: Iterable[DeliveredVisit] = ()):
    """An invoice was withdrawn: its visits `priced` count again at the pay rule's minutes and
    their base rate, and the missed visits it recorded (`removed`) are gone."""
    changes = []
    for visit in priced:
        changes += [(visit, -1, True), (visit, 1, False)]
    changes += [(visit, -1, True) for visit in removed]
    _add(_totals(changes))
