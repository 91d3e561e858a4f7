"""Reads that the invoicing pages, the API and the dashboard share.

Deadline statuses come from `Invoice.objects.with_deadline(today)` only (SQL, at
read time, with the UK's date), so every page, export and endpoint agrees.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    F,
    Max,
    Prefetch,
    Q,
    Sum,
)

from core import clock
from packages import commissioned
from packages.selectors import with_schedule
from providers.models import Provider
from zones.models import Zone

from . import pay, rollup, schedule
from .models import (
    ALL_HELD,
    DUE_SOON_DAYS,
    RECORD_PERIOD_MAX_DAYS,
    CreditNote,
    DailyDelivery,
    DeadlineStatus,
    DeliveredVisit,
    GuaranteeWeek,
    Invoice,
    InvoiceLine,
    LineKind,
    Payment,
    PaymentRun,
    PeriodDelivery,
)

ZERO = Decimal("0.00")
# The board's totals read like its list: what needs paying first comes first.
UNPAID_BY_URGENCY = (DeadlineStatus.OVERDUE, DeadlineStatus.DUE_SOON, DeadlineStatus.OK)


def with_deadlines(invoices, today=None):
    """Invoices with `deadline_status` and `days_left`, their provider loaded."""
    return invoices.with_deadline(today or clock.today()).select_related("provider")


def invoice_page(invoices, pk):
    """One invoice with its lines (and their packages' zones), payments and credit notes,
    or Invoice.DoesNotExist."""
    lines = InvoiceLine.objects.select_related("package__zone", "contract__zone").order_by(
        "kind", "package_id", "contract_id"
    )
    return (
        with_deadlines(invoices)
        .prefetch_related(
            Prefetch("lines", queryset=lines), "payments__payment_run", "credit_notes__payment_run"
        )
        .get(pk=pk)
    )


@dataclass(frozen=True)
class MoneyRow:
    """A row of a payment run's file or of a remittance advice: a payment, or a line it
    paid, or a credit note (a negative amount)."""

    kind: str
    invoice: Invoice
    amount: Decimal
    paid_on: datetime.date
    payment_reference: str
    run: PaymentRun | None = None
    package_id: int | None = None
    on_time: bool | None = None
    reason: str = ""
    guarantee: bool = False  # a guarantee line's row (it has no package)


def payment_run_rows(run) -> list[MoneyRow]:
    """The run's payments by provider, then the credit notes it nets, negative."""
    payments = run.payments.select_related("invoice__provider").order_by(
        "invoice__provider__name", "invoice_id", "pk"
    )
    credits = run.credit_notes.select_related("invoice__provider").order_by("pk")
    return [
        MoneyRow(
            kind="invoice",
            invoice=payment.invoice,
            amount=payment.amount,
            paid_on=payment.paid_on,
            payment_reference=payment.payment_reference,
            run=run,
            on_time=payment.invoice.paid_on <= payment.invoice.due_by,
        )
        for payment in payments
    ] + [_credit_row(note, run) for note in credits]


def _credit_row(note, run):
    return MoneyRow(
        kind="credit_note",
        invoice=note.invoice,
        amount=-note.amount,
        paid_on=run.paid_on,
        payment_reference=run.reference,
        run=run,
        reason=note.reason,
    )


def remittance(invoices, *, start: datetime.date, end: datetime.date) -> list[MoneyRow]:
    """Remittance advice for the invoices given (one provider's): each payment made from
    `start` to `end` line by line (a payment of an invoice without lines as one row), then
    the credit notes netted by payment runs in those days, negative; by date paid."""
    payments = (
        Payment.objects.filter(invoice__in=invoices, paid_on__range=(start, end))
        .select_related("invoice")
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("package_id")))
        .order_by("paid_on", "pk")
    )
    rows = []
    for payment in payments:
        lines = payment.lines.all()
        paid = [(line.package_id, line.amount, line.kind) for line in lines] or [
            (None, payment.amount, None)
        ]
        rows += [
            MoneyRow(
                kind="invoice",
                invoice=payment.invoice,
                amount=amount,
                paid_on=payment.paid_on,
                payment_reference=payment.payment_reference,
                package_id=package_id,
                guarantee=kind == LineKind.GUARANTEE,
            )
            for package_id, amount, kind in paid
        ]
    credits = CreditNote.objects.filter(
        invoice__in=invoices, payment_run__paid_on__range=(start, end)
    ).select_related("invoice", "payment_run")
    rows += [_credit_row(note, note.payment_run) for note in credits]
    return sorted(rows, key=lambda row: row.paid_on)


def line_visits(line):
    """The visits behind an invoice line, in the order they happened."""
    return line.visits.select_related("provider", "invoice_line__invoice").order_by(
        "date", "actual_start", "pk"
    )


def visit_count() -> int:
    """How many delivered visits there are, missed ones included: the delivery rollup's
    periods' number of them (a row per zone and period), kept in step with the visits."""
    return PeriodDelivery.objects.aggregate(visits=Sum("visits"))["visits"] or 0


def visit_list(visits):
    return visits.select_related("provider", "invoice_line").order_by(
        "-date", "-actual_start", "-pk"
    )


def payment_board(today=None):
    """Unpaid invoices, overdue first then by days left; totals per deadline status."""
    today = today or clock.today()
    unpaid = with_deadlines(Invoice.objects.unpaid(), today).order_by("due_by", "pk")
    totals = _unpaid_totals(today)
    summary = [
        {
            "status": status,
            "label": status.label,
            "count": totals[status][0],
            "amount": totals[status][1].quantize(pay.PENCE),
        }
        for status in UNPAID_BY_URGENCY
    ]
    return {
        "invoices": unpaid,
        "summary": summary,
        "unpaid_count": sum(row["count"] for row in summary),
        "unpaid_amount": sum((row["amount"] for row in summary), ZERO),
    }


def _unpaid_totals(today):
    """{deadline status: (invoices, amount)} of the unpaid invoices, from the due dates,
    totals and amounts held alone, which `invoice_unpaid_due` covers: an index-only scan,
    where grouping by the status expression read every unpaid invoice's row (nationally
    10,000 pages of the table). Overdue and due soon are `deadline_conditions` less their
    `paid_on IS NULL`, which the index's condition holds; ok is every other unpaid one."""
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    owing = ~ALL_HELD
    measures = {
        DeadlineStatus.OVERDUE: owing & Q(due_by__lt=today),
        DeadlineStatus.DUE_SOON: owing & Q(due_by__gte=today, due_by__lte=soon),
    }
    figures = {"count": Count("*"), "amount": Sum("total")}
    for status, condition in measures.items():
        figures[f"{status}_count"] = Count("due_by", filter=condition)
        figures[f"{status}_amount"] = Sum("total", filter=condition)
    row = Invoice.objects.unpaid().aggregate(**figures)
    totals = {
        status: (row[f"{status}_count"], row[f"{status}_amount"] or ZERO) for status in measures
    }
    totals[DeadlineStatus.OK] = (
        row["count"] - sum(count for count, _ in totals.values()),
        (row["amount"] or ZERO) - sum((amount for _, amount in totals.values()), ZERO),
    )
    return totals


def a_year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _counted(today):
    """The invoices an on-time rate counts on `today`: paid in the last 12 months, or
    overdue and unpaid now."""
    return Q(paid_on__gte=a_year_before(today)) | Q(paid_on__isnull=True, due_by__lt=today)


_ON_TIME_MEASURES = {
    "invoices": Count("pk"),
    "on_time": Count("pk", filter=Q(paid_on__isnull=False, paid_on__lte=F("due_by"))),
    "paid_late": Count("pk", filter=Q(paid_on__gt=F("due_by"))),
    "overdue": Count("pk", filter=Q(paid_on__isnull=True)),
}


def on_time_payment_rates(*, today=None) -> list[dict]:
    """Per provider, over the last 12 months: invoices paid on time (on or before their due
    date) out of those paid in that time plus those overdue and unpaid now.

    [{"provider": code, "name", "invoices", "on_time", "paid_late", "overdue", "percent"}],
    `percent` a Decimal to one place, or None with no invoices counted.
    """
    rows = (
        Invoice.objects.filter(_counted(today or clock.today()))
        .values("provider__code", "provider__name")
        .annotate(**_ON_TIME_MEASURES)
        .order_by("provider__name")
    )
    return [
        {
            "provider": row.pop("provider__code"),
            "name": row.pop("provider__name"),
            **row,
            "percent": _percent(row["on_time"], row["invoices"]),
        }
        for row in rows
    ]


def on_time_payment_counts(provider_ids, *, today=None) -> dict[int, dict]:
    """`on_time_payment_rates`' numbers of the providers given (a page of them) that have
    invoices counted, by provider id: {id: {"invoices", "on_time", "paid_late", "overdue",
    "percent"}}. Grouped by the invoices' provider id alone: joined to the providers, the
    query read all of them (13,000 nationally) to find a page's names."""
    rows = (
        Invoice.objects.filter(_counted(today or clock.today()), provider_id__in=provider_ids)
        .values("provider_id")
        .annotate(**_ON_TIME_MEASURES)
        .order_by()
    )
    return {
        row.pop("provider_id"): {**row, "percent": _percent(row["on_time"], row["invoices"])}
        for row in rows
    }


def providers_by_name():
    """Every provider, by name: the rows of the board's on-time table, before paging (a
    page of them is read by the index `provider_listed`; counting those with an invoice
    counted would probe the invoices of every provider in the market)."""
    return Provider.objects.order_by("name", "code").only("code", "name")


def on_time_payment_rates_of(providers, *, today=None) -> list[dict]:
    """`on_time_payment_rates` of the providers given (a page of them), in their order;
    a provider with no invoice counted has zeros and no percent."""
    providers = list(providers)
    counts = on_time_payment_counts([provider.pk for provider in providers], today=today)
    nothing = {"invoices": 0, "on_time": 0, "paid_late": 0, "overdue": 0, "percent": None}
    return [
        {"provider": provider.code, "name": provider.name, **counts.get(provider.pk, nothing)}
        for provider in providers
    ]


def _percent(part, whole):
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))


def spend_by_zone(*, start: datetime.date, end: datetime.date) -> list[dict]:
    """Per zone, for care from `start` to `end`: commissioned, delivered and payable hours and
    pounds, in zone code order (every zone, zeros included).

    Commissioned: each day's weekly hours (a seventh of them) of the packages in care,
    each at its provider's base rate in force that day in the zone (a rate changed since
    never restates a past day). Delivered: carer time of the visits recorded, in
    the zone where the care was delivered. Payable: what the pay rule allows, after the
    4-week cap once invoiced. Delivered pounds, and payable pounds until a visit is
    invoiced, at the provider's hourly rate when the visit was recorded (a rate changed
    since does not reprice care already delivered); payable pounds at the rate the invoice
    paid (uplifts included) once it is. Delivered and payable are read from the daily
    delivery rollup (DailyDelivery), a row per zone and day.
    """
    return spend_by_zone_per_period([(start, end)])[0]


def spend_by_zone_per_period(periods: list[tuple[datetime.date, datetime.date]]) -> list[list]:
    """`spend_by_zone` for each of consecutive periods, given as (start, end) in order."""
    return [period["zones"] for period in spend_per_period(periods)]


SPEND_MEASURES = (
    "commissioned_hours",
    "commissioned_pounds",
    "delivered_hours",
    "delivered_pounds",
    "payable_hours",
    "payable_pounds",
    "paid_pounds",
)
# What each part of spend's statement gives, in its rows and its totals: commissioned
# from its rollup, delivered and payable from the delivery rollups, and the guaranteed
# hours invoiced, added to payable.
_COMMISSIONED, _DELIVERED, _GUARANTEED = range(3)
# A part's row is (part, k, zone id, figures in hundredths...).
CENT = Decimal("0.01")


def spend_per_period(periods, zone_ids=None, shown=None) -> list[dict]:
    """For each of consecutive (start, end) `periods`: {"zones": `spend_by_zone`'s rows
    (only `zone_ids`' if given), "total": their sums}, in one statement however many
    periods or rows. `shown`, a slice of the (period, zone) pairs in that order, keeps
    the rows of those pairs only (a page of them): the totals still count every zone.

    Each zone's figures are rounded to pence in the database as they always were in
    Python (hours half up, as `pay.hours`; pounds half to even, as Decimal's quantize),
    and a period's total sums the rounded figures, as the rows shown add up: nationally
    (1,500 zones a period) converting and adding them one by one in Python cost more
    than the query. Each part comes as it is, a row per zone and period that has any,
    and the rows of a zone and period are put together here, with zeros for a part it
    has none of: joining them to every zone and period in the database, and reading the
    zeros back, cost more than the sums."""
    zones = Zone.objects.order_by("code").values_list("pk", "code", "name")
    if zone_ids is not None:
        zones = zones.filter(pk__in=zone_ids)
    zones = {pk: (code, name) for pk, code, name in zones}
    # Rows in zone code order, as the zones were read (sorting by code costs the database
    # more than its sums).
    pairs = None
    by_zone = [list(zones) for _ in periods]
    if shown is not None:
        pairs = [(k, zone_id) for k in range(len(periods)) for zone_id in zones][shown]
        by_zone = [[] for _ in periods]
        for k, zone_id in pairs:
            by_zone[k].append(zone_id)
    sql, params = _spend_sql(periods, zone_ids, pairs)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Each part's rows by period, then by zone (None: the totals).
    parts = [[{} for _ in periods] for _ in range(3)]
    for row in rows:
        parts[row[0]][row[1]][row[2]] = row
    return [
        _spend_period(*period_parts, zone_pks, zones)
        for *period_parts, zone_pks in zip(*parts, by_zone, strict=True)
    ]


def _spend_period(commissioned_rows, delivered_rows, guaranteed_rows, zone_pks, zones):
    """A period's rows (its zones `zone_pks`, in that order) and totals, from each part's
    rows of it by zone id (None: the totals)."""
    c, d, g = commissioned_rows, delivered_rows, guaranteed_rows
    return {
        "zones": [_spend_row(c.get(pk), d.get(pk), g.get(pk), zones[pk]) for pk in zone_pks],
        "total": _spend_row(c.get(None), d.get(None), g.get(None)),
    }


def _spend_row(commissioned, delivered, guaranteed, names=None):
    """A zone's figures from its part rows, in hundredths, as pounds (or hours) to two
    places (zeros for a part it has none of; guaranteed hours, if any, added to payable),
    after its code and name (`names`); with no names, a period's totals."""
    c, d, g = commissioned, delivered, guaranteed
    hours = pounds = ZERO
    if c is not None:
        hours, pounds = Decimal(c[3]) * CENT, Decimal(c[4]) * CENT
    delivered_hours = delivered_pounds = payable_hours = payable_pounds = paid = ZERO
    if d is not None:
        delivered_hours, delivered_pounds = Decimal(d[3]) * CENT, Decimal(d[4]) * CENT
        payable_hours, payable_pounds = Decimal(d[5]) * CENT, Decimal(d[6]) * CENT
        paid = Decimal(d[7]) * CENT
    if g is not None:
        payable_hours += Decimal(g[3]) * CENT
        payable_pounds += Decimal(g[4]) * CENT
        paid += Decimal(g[5]) * CENT
    if names is None:
        return {
            "commissioned_hours": hours,
            "commissioned_pounds": pounds,
            "delivered_hours": delivered_hours,
            "delivered_pounds": delivered_pounds,
            "payable_hours": payable_hours,
            "payable_pounds": payable_pounds,
            "paid_pounds": paid,
        }
    return {
        "zone": names[0],
        "zone_name": names[1],
        "commissioned_hours": hours,
        "commissioned_pounds": pounds,
        "delivered_hours": delivered_hours,
        "delivered_pounds": delivered_pounds,
        "payable_hours": payable_hours,
        "payable_pounds": payable_pounds,
        "paid_pounds": paid,
    }


def _pence(whole, divisor):
    """SQL for the integer `whole` (a column, never null) / `divisor` rounded to a whole
    number, half to even (pence, or hours to two places, as integers): integer
    arithmetic, which costs the database a fraction of numeric division over thousands
    of rows. With an odd divisor there are no ties: halves up. With an even one, the
    quotient goes up when twice the remainder, plus one for an odd quotient, passes the
    divisor (a tie rounds to the even one)."""
    size = f"ABS({whole})"
    if divisor % 2:
        rounded = f"(2 * {size} + {divisor}) / {2 * divisor}"
    else:
        quotient = f"({size} / {divisor})"
        up = f"2 * ({size} %% {divisor}) + {quotient} %% 2 > {divisor}"
        rounded = f"{quotient} + CASE WHEN {up} THEN 1 ELSE 0 END"
    return f"(CASE WHEN {whole} < 0 THEN -1 ELSE 1 END * ({rounded}))"


def _scaled(total, places):
    """SQL for `total` times 10 ** `places` as an integer (exact: the rollups' sums have
    no more places than that; SQLite's, floats, are rounded)."""
    if connection.vendor == "postgresql":
        return f"CAST({total} * {10**places} AS BIGINT)"
    return f"CAST(ROUND({total} * {10**places}) AS BIGINT)"


def _spend_sql(periods, zone_ids, pairs):
    """Spend's statement and its parameters: (part, k, zone id, figures...) for each part's
    row of a zone and period (those of `pairs` only, if given), then (part, k, NULL,
    sums...) for each part's totals of a period, over every zone in `zone_ids`."""
    commissioned_sql, commissioned_params = commissioned.commissioned_rows_sql(periods)
    delivered_sql, delivered_params = _delivered_rows_sql(periods)
    guaranteed_sql, guaranteed_params = _guaranteed_sql(periods)
    zones, zone_params = "1 = 1", []
    if zone_ids is not None:
        zones = f"zone_id IN ({', '.join(['%s'] * len(zone_ids))})" if zone_ids else "1 = 0"
        zone_params = list(zone_ids)
    shown, shown_params = _pairs_sql(pairs)
    parts = [
        (_COMMISSIONED, "cs", ("hours", "pounds")),
        (_DELIVERED, "ds", ("delivered", "delivered_money", "payable", "payable_money", "paid")),
        (_GUARANTEED, "g", ("payable", "payable_money", "paid")),
    ]
    width = max(len(columns) for _, _, columns in parts)

    def padded(columns):
        return ", ".join([*columns, *["NULL"] * (width - len(columns))])

    # Pence (and hundredths of an hour) are summed and read as integers: made into
    # pounds by the database and written out as decimals, they cost it more than making
    # them Decimals costs Python.
    rows = [
        f"SELECT {part}, k, zone_id, {padded(columns)} FROM {table} WHERE {shown}"
        for part, table, columns in parts
    ]
    totals = [
        f"SELECT {part}, k, NULL, {padded([f'CAST(SUM({c}) AS BIGINT)' for c in columns])} "
        f"FROM {table} GROUP BY k"
        for part, table, columns in parts
    ]
    # Each part's rows are read twice (the rows shown, the totals): materialized once. Its
    # sums as integers are worked out once a row too (the rounding reads each several
    # times), in a subquery the planner keeps as it is (OFFSET 0) rather than one more
    # materialized step.
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    sql = f"""
        WITH c AS ({commissioned_sql}),
        c_sums AS (SELECT zone_id, k, {_scaled("weekly_hours", 2)} AS hours,
                          {_scaled("weekly_pounds", 4)} AS pounds
                   FROM c WHERE {zones}{fence}),
        cs AS MATERIALIZED (SELECT zone_id, k, {_pence("hours", 7)} AS hours,
                                   {_pence("pounds", 700)} AS pounds
               FROM c_sums),
        d AS ({delivered_sql}),
        d_sums AS (SELECT zone_id, k, {_scaled("delivered_minutes", 2)} AS delivered,
                          {_scaled("delivered_minute_pounds", 4)} AS delivered_money,
                          {_scaled("payable_minutes", 2)} AS payable,
                          {_scaled("payable_minute_pounds", 4)} AS payable_money,
                          {_scaled("paid_minute_pounds", 4)} AS paid
                   FROM d WHERE {zones}{fence}),
        ds AS MATERIALIZED (SELECT zone_id, k, {_pence("delivered", 60)} AS delivered,
                      {_pence("delivered_money", 6000)} AS delivered_money,
                      {_pence("payable", 60)} AS payable,
                      {_pence("payable_money", 6000)} AS payable_money,
                      {_pence("paid", 6000)} AS paid
               FROM d_sums),
        g_sums AS MATERIALIZED ({guaranteed_sql}),
        g AS MATERIALIZED (SELECT zone_id, k, {_pence("payable", 60)} AS payable,
                     {_pence("payable_money", 6000)} AS payable_money,
                     {_pence("paid", 6000)} AS paid
              FROM g_sums WHERE {zones})
        {" UNION ALL ".join(rows + totals)}"""
    params = [
        *commissioned_params,
        *zone_params,
        *delivered_params,
        *zone_params,
        *guaranteed_params,
        *zone_params,
        *shown_params * len(parts),
    ]
    return sql, params


def _pairs_sql(pairs):
    """SQL for a spend row being one of the (k, zone id) `pairs` (None: any), and its
    parameters: a list of zones per period, which the database looks up by hash."""
    if pairs is None:
        return "1 = 1", []
    zones = defaultdict(list)
    for k, zone_id in pairs:
        zones[k].append(zone_id)
    conditions = [
        f"(k = {k} AND zone_id IN ({', '.join(['%s'] * len(ids))}))" for k, ids in zones.items()
    ]
    return " OR ".join(conditions) or "1 = 0", [
        zone_id for ids in zones.values() for zone_id in ids
    ]


def _delivered_rows_sql(periods):
    """Delivered and payable from the delivery rollups, a row per zone and period: a whole
    spend period that has passed from its row (PeriodDelivery), as it is; others summed
    from their days' rows (DailyDelivery), however many visits."""
    today = clock.today()
    whole = [
        index
        for index, (start, end) in enumerate(periods)
        if end < today and commissioned.whole_period(start, end)
    ]
    days = [period for index, period in enumerate(periods) if index not in whole]
    sql, params = _delivery_rows(DailyDelivery, "date", periods, days)
    sums = ", ".join(f"SUM({name}) AS {name}" for name in _DELIVERY_MEASURES)
    sql = f"SELECT zone_id, k, {sums} FROM ({sql}) AS days GROUP BY zone_id, k"
    if whole:
        starts = [(periods[index][0],) * 2 for index in whole]
        whole_sql, whole_params = _delivery_rows(PeriodDelivery, "period_start", periods, starts)
        sql, params = f"{sql} UNION ALL {whole_sql}", params + whole_params
    return sql, params


_DELIVERY_MEASURES = (*rollup.MEASURES, "paid_minute_pounds")


def _delivery_rows(model, column, periods, ranges):
    table = connection.ops.quote_name(model._meta.db_table)
    k, k_params = commissioned.period_index_sql(column, periods)
    where, where_params = commissioned.ranges_sql(column, ranges) if ranges else ("1 = 0", [])
    measures = ", ".join(_DELIVERY_MEASURES)
    sql = f"SELECT zone_id, {k} AS k, {measures} FROM {table} WHERE {where}"
    return sql, k_params + where_params


def _guaranteed_sql(periods):
    """Guaranteed hours invoiced are payable, and paid once their line is, counted on the
    Monday of the week they make up (the dashboard's 4-week periods start on Mondays, so
    each such week lies in one of them): a row per zone and period, summed as integers."""
    weeks = connection.ops.quote_name(GuaranteeWeek._meta.db_table)
    lines = connection.ops.quote_name(InvoiceLine._meta.db_table)
    k, k_params = commissioned.period_index_sql("w.week_start", periods)
    paid = "SUM(CASE WHEN l.payment_id IS NOT NULL THEN w.payable_minute_pounds ELSE 0 END)"
    sql = f"""SELECT w.zone_id, {k} AS k, {_scaled("SUM(w.payable_minutes)", 2)} AS payable,
                     {_scaled("SUM(w.payable_minute_pounds)", 4)} AS payable_money,
                     {_scaled(paid, 4)} AS paid
              FROM {weeks} w JOIN {lines} l ON l.id = w.line_id
              WHERE w.week_start BETWEEN %s AND %s
              GROUP BY 1, 2"""
    return sql, [*k_params, periods[0][0], periods[-1][1]]


def planned_against_delivered(package, today=None, last_weeks: int | None = None) -> list[dict]:
    """Week by week (Monday to Sunday) from the start of care to today: planned carer hours
    and visits against delivered and payable, and the missed, short, late and unplanned.
    The current week counts what was planned up to today; `last_weeks` keeps only the
    most recent weeks (the package page's summary).

    A planned visit up to yesterday with no record at all counts as missed here even
    before an invoice records it so.
    """
    today = today or clock.today()
    schedule.mark_service_start([package])
    start = package.service_start
    if start > today:
        return []
    monday = start - datetime.timedelta(days=start.weekday())
    if last_weeks is not None:
        this_monday = today - datetime.timedelta(days=today.weekday())
        monday = max(monday, this_monday - datetime.timedelta(weeks=last_weeks - 1))
    visits = list(package.delivered_visits.filter(date__gte=monday))
    recorded = {(v.planned_visit_id, v.date) for v in visits if v.planned_visit_id}
    weeks = []
    while monday <= today:
        sunday = monday + datetime.timedelta(days=6)
        # The current week is compared to date: planned visits and hours alike stop at today.
        last = min(sunday, today)
        week = [v for v in visits if monday <= v.date <= sunday]
        occurrences = schedule.planned_occurrences(package, monday, last)
        unrecorded = sum(
            1 for day, planned in occurrences if day < today and (planned.pk, day) not in recorded
        )
        weeks.append(
            {
                "week_start": monday,
                "week_end": sunday,
                "planned_visits": len(occurrences),
                "planned_hours": schedule.commissioned_hours(package, monday, last),
                "delivered_visits": sum(1 for v in week if not v.missed),
                "delivered_hours": pay.hours(sum(v.delivered_minutes for v in week)),
                "payable_hours": pay.hours(
                    sum(
                        v.paid_minutes if v.paid_minutes is not None else v.payable_minutes
                        for v in week
                    )
                ),
                "missed": sum(1 for v in week if v.missed) + unrecorded,
                "short": sum(1 for v in week if v.short),
                "late": sum(1 for v in week if v.late),
                "unplanned": sum(1 for v in week if v.unplanned),
            }
        )
        monday += datetime.timedelta(days=7)
    return weeks


def planned_visits_to_record(packages, first: datetime.date, last: datetime.date):
    """(package, day, planned visit) for each visit planned from `first` to `last` on
    `packages` that has no delivered record yet, by package and time of day: a provider
    without call monitoring fills in the actual times and uploads the file."""
    packages = schedule.mark_service_start(list(with_schedule(packages)))
    recorded = set(
        DeliveredVisit.objects.filter(
            package__in=[p.pk for p in packages], date__range=(first, last)
        ).values_list("planned_visit_id", "date")
    )
    return [
        (package, day, planned)
        for package in sorted(packages, key=lambda p: p.pk)
        for day, planned in sorted(
            schedule.planned_occurrences(package, first, last), key=lambda o: (o[0], o[1].time)
        )
        if (planned.pk, day) not in recorded
    ]


def uninvoiced_period(invoices, today=None) -> tuple[datetime.date, datetime.date]:
    """The period to record and invoice next: from the day after the latest period in
    `invoices` (a provider's own) to yesterday; the last 28 days when there is none, or
    when the last one ended more than two months ago."""
    yesterday = (today or clock.today()) - datetime.timedelta(days=1)
    latest = invoices.aggregate(end=Max("period_end"))["end"]
    first = latest + datetime.timedelta(days=1) if latest else None
    if first is None or first > yesterday or (yesterday - first).days >= RECORD_PERIOD_MAX_DAYS:
        first = yesterday - datetime.timedelta(days=27)
    return first, yesterday


def uninvoiced_visit_count(provider, first, last) -> int:
    """The provider's recorded visits from `first` to `last` on no invoice yet: what an
    invoice for the period would take (its provider and date index)."""
    return DeliveredVisit.objects.filter(
        provider=provider,
        date__range=(first, last),
        invoice_line__isnull=True,
        actual_start__isnull=False,
    ).count()
