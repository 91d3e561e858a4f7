"""The commissioned-care rollup (CommissionedDay): what each placement adds to its zone and
day, for the days that have passed, kept in step in the same transaction as the change.

- `kept_in_step(package_id)` (`@keeps_step` on a service): around a lifecycle service
  (placed, handed back, ended, cancelled, changed, edited): what the package's care was before and is after, on the days
  already rolled up, is added as the difference.
- `close_days()`: the periodic job; rolls up every day that has passed since the last
  run (looking at state: a missed run is caught by the next).
- `rebuild()`: recompute every row (the `rebuild_commissioned_rollup` command).
- `commissioned_rows_sql(periods)`: what spend reads: the rows (a whole spend
  period's from CommissionedPeriod, the same rows summed per zone and 4-week period by
  every change), and for the days not rolled up yet, the same sums worked out from the
  placements.

A package's care is its placements (each provider from its first to its last day, never
past the package's end) and its versions (the weekly hours in force each day), priced by
providers.rates: the same function invoices price visits by. Rates start today or later
and rows end yesterday, so a rate change never re-prices a row: past periods stay as
they were.

A change is one additive upsert (`INSERT ... ON CONFLICT (date, zone_id) DO UPDATE SET
x = x + excluded.x`), rows in key order, last in its transaction, after taking the
horizon row FOR SHARE (the closing job takes it FOR UPDATE): a day is either closed
before a change, which then adds to it, or after it, and then sums the change itself.
"""

import bisect
import datetime
import functools
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Min, Q

from core import clock, records
from core.rollups import add_up
from providers.rates import RateBook
from zones.models import ROTATION_EPOCH

from .models import (
    CommissionedDay,
    CommissionedHorizon,
    CommissionedPeriod,
    Package,
    PackageVersion,
    Placement,
)

ONE_DAY = datetime.timedelta(days=1)
ZERO = Decimal(0)
BATCH = 5000
# Spend is shown by 4-week period, the periods running from ROTATION_EPOCH (a Monday).
PERIOD_DAYS = 28


def spend_period_start(day: datetime.date) -> datetime.date:
    """The first day of the 4-week spend period `day` falls in."""
    return day - datetime.timedelta(days=(day - ROTATION_EPOCH).days % PERIOD_DAYS)


def whole_period(first: datetime.date, last: datetime.date) -> bool:
    """`first`..`last` is exactly one spend period, which a period rollup row sums."""
    return spend_period_start(first) == first and (last - first).days == PERIOD_DAYS - 1


@dataclass(frozen=True)
class Care:
    """What a package's commissioned care is made of."""

    zone_id: int
    # (provider id, first day, last day or None), each within the package's days
    spans: tuple
    # (first day, weekly hours) in the order they take over; the first from date.min
    hours: tuple


def care_of(package_id) -> Care | None:
    """The care of one package as it is now (None: it has no placement)."""
    package = Package.objects.filter(pk=package_id).values("zone_id", "ended_on").first()
    if package is None:
        return None
    placements = Placement.objects.filter(package_id=package_id).values_list(
        "provider_id", "starts_on", "ends_on"
    )
    versions = PackageVersion.objects.filter(package_id=package_id).values_list(
        "effective_from", "number", "weekly_hours"
    )
    return _care(package["zone_id"], package["ended_on"], placements, versions)


def _care(zone_id, ended_on, placements, versions):
    spans = []
    for provider_id, first, last in sorted(placements, key=lambda p: (p[1], p[0])):
        if ended_on is not None:
            last = ended_on if last is None else min(last, ended_on)
        if last is None or last >= first:
            spans.append((provider_id, first, last))
    if not spans:
        return None
    ordered = sorted(versions, key=lambda v: (v[0] or datetime.date.min, v[1]))
    hours = tuple((v[0] or datetime.date.min, Decimal(v[2])) for v in ordered)
    return Care(zone_id=zone_id, spans=tuple(spans), hours=hours)


def pieces(care: Care, book: RateBook, first: datetime.date, last: datetime.date):
    """(first day, last day, weekly hours, weekly pounds) stretches of `care` within
    `first`..`last`, each the same every day (no version or rate starts inside it)."""
    changes = sorted({day for day, _ in care.hours})
    for provider_id, span_first, span_last in care.spans:
        start = max(first, span_first)
        end = last if span_last is None else min(last, span_last)
        if start > end:
            continue
        rate_days = book.changes(provider_id, care.zone_id)
        cuts = sorted({start, *(d for d in (*changes, *rate_days) if start < d <= end)})
        for index, cut in enumerate(cuts):
            stop = cuts[index + 1] - ONE_DAY if index + 1 < len(cuts) else end
            hours = _hours_on(care, cut)
            if hours:
                rate = book.rate_on(provider_id, care.zone_id, cut)
                yield cut, stop, hours, hours * rate


def _hours_on(care, day):
    in_force = ZERO
    for starts, hours in care.hours:
        if starts <= day:
            in_force = hours
    return in_force


def daily_sums(cares, book, first, last) -> dict:
    """{(zone id, day): [weekly hours, weekly pounds]} of `cares` from `first` to `last`,
    days with nothing left out: each stretch is added where it starts and taken away the
    day after it ends, then summed day by day."""
    steps = defaultdict(lambda: defaultdict(lambda: [ZERO, ZERO]))
    for care in cares:
        for start, stop, hours, pounds in pieces(care, book, first, last):
            begin, after = steps[care.zone_id][start], steps[care.zone_id][stop + ONE_DAY]
            begin[0], begin[1] = begin[0] + hours, begin[1] + pounds
            after[0], after[1] = after[0] - hours, after[1] - pounds
    sums = {}
    for zone_id, zone_steps in steps.items():
        hours = pounds = ZERO
        days = sorted(zone_steps)
        for index, day in enumerate(days):
            hours, pounds = hours + zone_steps[day][0], pounds + zone_steps[day][1]
            until = min(days[index + 1] - ONE_DAY, last) if index + 1 < len(days) else last
            if not (hours or pounds):
                continue
            while day <= until:
                sums[(zone_id, day)] = [hours, pounds]
                day += ONE_DAY
    return sums


def cares_between(first, last) -> list[Care]:
    """The care of every package with a placement on some day from `first` to `last`
    (three queries, however many packages)."""
    overlapping = Placement.objects.filter(starts_on__lte=last).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=first)
    )
    rows = overlapping.values_list(
        "package_id", "package__zone_id", "package__ended_on", "provider_id", "starts_on", "ends_on"
    )
    packages = {}
    for package_id, zone_id, ended_on, *placement in rows.iterator(chunk_size=BATCH):
        packages.setdefault(package_id, (zone_id, ended_on, []))[2].append(placement)
    versions = defaultdict(list)
    in_care = PackageVersion.objects.filter(
        package__in=overlapping.values("package_id")
    ).values_list("package_id", "effective_from", "number", "weekly_hours")
    for package_id, *version in in_care.iterator(chunk_size=BATCH):
        versions[package_id].append(version)
    cares = (
        _care(zone_id, ended_on, placements, versions[package_id])
        for package_id, (zone_id, ended_on, placements) in packages.items()
    )
    return [care for care in cares if care is not None]


# --- Keeping it in step -----------------------------------------------------------------


def keeps_step(service):
    """A lifecycle service (taking `package_id`) that keeps the rollup in step."""

    @functools.wraps(service)
    def in_step(*args, package_id, **kwargs):
        with transaction.atomic(), kept_in_step(package_id):
            return service(*args, package_id=package_id, **kwargs)

    return in_step


@contextmanager
def kept_in_step(package_id):
    """Around a change to a package's care (inside the service's transaction): the
    package is locked, and the difference its change makes on the days rolled up is
    added when the change is done. Not in a replay: the rollup is figures for the
    dashboard's spend, which nothing in brokering reads (core.records), and its packages,
    uncommitted, are seen by no other transaction."""
    if not records.kept():
        yield
        return
    Package.objects.select_for_update().filter(pk=package_id).exists()
    before = care_of(package_id)
    yield
    after = care_of(package_id)
    if before != after:
        _apply_difference(before, after)


def _apply_difference(before, after):
    closed = _horizon_for_share()
    cares = [care for care in (before, after) if care is not None]
    if closed is None or not cares:
        return
    first = min(span[1] for care in cares for span in care.spans)
    if first > closed:
        return
    book = RateBook.load({span[0] for care in cares for span in care.spans})
    old = daily_sums([before] if before else [], book, first, closed)
    new = daily_sums([after] if after else [], book, first, closed)
    changes = {}
    for key in old.keys() | new.keys():
        was, now = old.get(key, [ZERO, ZERO]), new.get(key, [ZERO, ZERO])
        if was != now:
            changes[key] = [now[0] - was[0], now[1] - was[1]]
    _add(changes)


def _horizon_for_share():
    """The last day rolled up, read under a share lock on the horizon row."""
    return _horizon(lock=connection.vendor == "postgresql")


def _horizon(lock=False):
    """The last day rolled up; `lock`: under a share lock on the horizon row, held to the
    end of the transaction."""
    table = connection.ops.quote_name(CommissionedHorizon._meta.db_table)
    share = " FOR SHARE" if lock else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT closed_through FROM {table} WHERE id = 1{share}")
        row = cursor.fetchone()
    return _as_date(row[0]) if row else None


def _as_date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _horizon_for_update() -> CommissionedHorizon:
    CommissionedHorizon.objects.get_or_create(pk=1)
    return CommissionedHorizon.objects.select_for_update().get(pk=1)


def _add(changes) -> None:
    rows = [(zone_id, day, *sums) for (zone_id, day), sums in sorted(changes.items())]
    if not rows:
        return
    _add_days(rows)
    _add_periods(rows)


def _add_periods(rows) -> None:
    """The same (zone id, day, hours, pounds) rows added to their zone's spend period."""
    periods = defaultdict(lambda: [ZERO, ZERO])
    for zone_id, day, hours, pounds in rows:
        sums = periods[(spend_period_start(day), zone_id)]
        sums[0], sums[1] = sums[0] + hours, sums[1] + pounds
    add_up(
        CommissionedPeriod,
        ("period_start", "zone_id"),
        ("weekly_hours", "weekly_pounds"),
        [(*key, *sums) for key, sums in periods.items()],
    )


def _add_days(rows) -> None:
    table = connection.ops.quote_name(CommissionedDay._meta.db_table)
    columns = "zone_id, date, weekly_hours, weekly_pounds"
    additions = ", ".join(
        f"{m} = {table}.{m} + excluded.{m}" for m in ("weekly_hours", "weekly_pounds")
    )
    fields = [CommissionedDay._meta.get_field(name) for name in ("zone", "date", "weekly_hours")]
    size = min(BATCH, connection.ops.bulk_batch_size([*fields, fields[-1]], rows) or len(rows))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join(['(%s, %s, %s, %s)'] * len(batch))} "
                f"ON CONFLICT (date, zone_id) DO UPDATE SET {additions}",
                [value for row in batch for value in row],
            )


# --- Closing days, rebuilding -----------------------------------------------------------


def close_days() -> int:
    """Roll up every day that has passed and is not rolled up yet; answers how many."""
    yesterday = clock.today() - ONE_DAY
    with transaction.atomic():
        horizon = _horizon_for_update()
        if horizon.closed_through is not None and horizon.closed_through >= yesterday:
            return 0
        first = (
            horizon.closed_through + ONE_DAY
            if horizon.closed_through is not None
            else Placement.objects.aggregate(first=Min("starts_on"))["first"] or yesterday
        )
        if first <= yesterday:
            _add(daily_sums(cares_between(first, yesterday), RateBook.load(), first, yesterday))
        closed = max(0, (yesterday - first).days + 1)
        horizon.closed_through = yesterday
        horizon.save(update_fields=["closed_through"])
    return closed


def recomputed() -> dict:
    """Every row as a full recomputation from the placements would make it:
    {(zone id, day): [weekly hours, weekly pounds]} up to the horizon."""
    closed = _horizon_for_share()
    first = Placement.objects.aggregate(first=Min("starts_on"))["first"]
    if closed is None or first is None or first > closed:
        return {}
    return daily_sums(cares_between(first, closed), RateBook.load(), first, closed)


def rebuild() -> int:
    """Recompute every row up to the horizon from the placements (writers wait while it
    runs); answers how many rows there are now."""
    with transaction.atomic():
        _horizon_for_update()
        CommissionedDay.objects.all().delete()
        CommissionedPeriod.objects.all().delete()
        rows = recomputed()
        _add(rows)
    return len(rows)


def period_index_sql(column, periods) -> tuple[str, list]:
    """SQL for the index of the period that `column` (a date within the consecutive
    (first, last) `periods`) falls in, and its parameters."""
    whens = " ".join(f"WHEN {column} <= %s THEN {index}" for index in range(len(periods) - 1))
    sql = f"CASE {whens} ELSE {len(periods) - 1} END" if whens else "0"
    return sql, [end for _, end in periods[:-1]]


def ranges_sql(column, ranges) -> tuple[str, list]:
    """SQL for `column` lying in any of the (first, last) `ranges`, and its parameters."""
    sql = " OR ".join(f"{column} BETWEEN %s AND %s" for _ in ranges)
    return f"({sql})", [day for first_last in ranges for day in first_last]


def commissioned_rows_sql(periods) -> tuple[str, list]:
    """SQL for a row of (zone_id, k, weekly hours x days, weekly pounds x days) per zone
    with care in the k-th of the consecutive (first, last) `periods`, and its parameters:
    a whole spend period rolled up to its end from its period row, as it is; other days
    summed from the rollup's day rows up to its horizon, and the days after it worked out
    from the placements (their sums given as values)."""
    first, last = periods[0][0], periods[-1][1]
    # Read without a lock: the rows read are of days up to the horizon read (and whole
    # periods ended by it), which a later closing never changes, and the days after it
    # are worked out here; a share lock costs a read a transaction id and the flush of
    # its commit (1.5 ms at best, 5 under load), and outside a transaction it was
    # released before the rows were read.
    closed = _horizon()
    whole = [
        index
        for index, (start, end) in enumerate(periods)
        if closed is not None and end <= closed and whole_period(start, end)
    ]
    days = [
        (start, min(end, closed))
        for index, (start, end) in enumerate(periods)
        if index not in whole and closed is not None and start <= closed
    ]
    parts = [_rollup_rows(CommissionedDay, "date", periods, days)]
    rest = first if closed is None else max(first, closed + ONE_DAY)
    if rest <= last:
        parts.append(_later_rows(periods, rest, last))
    summed = " UNION ALL ".join(sql for sql, _ in parts)
    sql = f"""SELECT zone_id, k, SUM(weekly_hours) AS weekly_hours,
                     SUM(weekly_pounds) AS weekly_pounds
              FROM ({summed}) AS days GROUP BY zone_id, k"""
    params = [p for _, part_params in parts for p in part_params]
    if whole:
        starts = [(periods[index][0],) * 2 for index in whole]
        whole_sql, whole_params = _rollup_rows(CommissionedPeriod, "period_start", periods, starts)
        sql, params = f"{sql} UNION ALL {whole_sql}", params + whole_params
    return sql, params


def _rollup_rows(model, column, periods, ranges):
    table = connection.ops.quote_name(model._meta.db_table)
    k, k_params = period_index_sql(column, periods)
    where, where_params = ranges_sql(column, ranges) if ranges else ("1 = 0", [])
    sql = f"SELECT zone_id, {k} AS k, weekly_hours, weekly_pounds FROM {table} WHERE {where}"
    return sql, k_params + where_params


def _later_rows(periods, first, last):
    """The days not rolled up yet (the hourly job has not closed them), from the
    placements, as a row of values per zone and period."""
    ends = [end for _, end in periods]
    totals = defaultdict(lambda: [ZERO, ZERO])
    for (zone_id, day), (hours, pounds) in daily_sums(
        cares_between(first, last), RateBook.load(), first, last
    ).items():
        sums = totals[(zone_id, bisect.bisect_left(ends, day))]
        sums[0], sums[1] = sums[0] + hours, sums[1] + pounds
    rows = [(zone_id, k, *sums) for (zone_id, k), sums in totals.items()]
    if not rows:
        return "SELECT NULL, NULL, NULL, NULL WHERE 1 = 0", []
    sql = " UNION ALL ".join("SELECT %s, %s, %s, %s" for _ in rows)
    return sql, [value for row in rows for value in row]


def kept() -> dict:
    """The rows as they are: {(zone id, day): [weekly hours, weekly pounds]}."""
    return {
        (zone_id, day): [hours, pounds]
        for zone_id, day, hours, pounds in CommissionedDay.objects.values_list(
            "zone_id", "date", "weekly_hours", "weekly_pounds"
        )
    }


def differences() -> dict:
    """The zone-days whose row differs from a full recomputation, and the zone-periods
    whose period row differs from its days' rows: {key: (kept, recomputed)}."""
    days = kept()
    periods = {
        ("period", zone_id, start): [hours, pounds]
        for zone_id, start, hours, pounds in CommissionedPeriod.objects.values_list(
            "zone_id", "period_start", "weekly_hours", "weekly_pounds"
        )
    }
    rows, expected = {**days, **periods}, {**recomputed(), **_periods_of(days)}
    nothing = [ZERO, ZERO]
    return {
        key: (rows.get(key, nothing), expected.get(key, nothing))
        for key in rows.keys() | expected.keys()
        if rows.get(key, nothing) != expected.get(key, nothing)
    }


def _periods_of(days) -> dict:
    """{("period", zone id, period start): [hours, pounds]} summed from day rows."""
    periods = defaultdict(lambda: [ZERO, ZERO])
    for (zone_id, day), (hours, pounds) in days.items():
        if hours or pounds:
            sums = periods[("period", zone_id, spend_period_start(day))]
            sums[0], sums[1] = sums[0] + hours, sums[1] + pounds
    return dict(periods)
