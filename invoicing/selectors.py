"""Reads that the invoicing pages, the API and the dashboard share.

Deadline statuses come from `Invoice.objects.with_deadline(today)` only (SQL, at
read time, with the UK's date), so every page, export and endpoint agrees.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    F,
    Max,
    Prefetch,
    Q,
    Sum,
    Value,
    When,
)

from core import clock
from core.queries import plain_rows
from packages import commissioned
from packages.selectors import with_schedule
from zones.models import Zone

from . import pay, rollup, schedule
from .models import (
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


def visit_list(visits):
    return visits.select_related("provider", "invoice_line").order_by(
        "-date", "-actual_start", "-pk"
    )


def payment_board(today=None):
    """Unpaid invoices, overdue first then by days left; totals per deadline status."""
    today = today or clock.today()
    unpaid = with_deadlines(Invoice.objects.unpaid(), today).order_by("due_by", "pk")
    totals = {
        row["deadline_status"]: row
        for row in unpaid.order_by()
        .values("deadline_status")
        .annotate(count=Count("pk"), amount=Sum("total"))
    }
    summary = [
        {
            "status": status,
            "label": status.label,
            "count": totals.get(status, {}).get("count", 0),
            "amount": (totals.get(status, {}).get("amount") or ZERO).quantize(pay.PENCE),
        }
        for status in UNPAID_BY_URGENCY
    ]
    return {
        "invoices": unpaid,
        "summary": summary,
        "unpaid_count": sum(row["count"] for row in summary),
        "unpaid_amount": sum((row["amount"] for row in summary), ZERO),
    }


def a_year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def on_time_payment_rates(*, today=None, provider_ids=None) -> list[dict]:
    """Per provider, over the last 12 months: invoices paid on time (on or before their due
    date) out of those paid in that time plus those overdue and unpaid now.

    [{"provider": code, "name", "invoices", "on_time", "paid_late", "overdue", "percent"}],
    `percent` a Decimal to one place, or None with no invoices counted.
    """
    today = today or clock.today()
    counted = Q(paid_on__gte=a_year_before(today)) | Q(paid_on__isnull=True, due_by__lt=today)
    invoices = Invoice.objects.filter(counted)
    if provider_ids is not None:
        invoices = invoices.filter(provider_id__in=provider_ids)
    rows = (
        invoices.values("provider__code", "provider__name")
        .annotate(
            invoices=Count("pk"),
            on_time=Count("pk", filter=Q(paid_on__isnull=False, paid_on__lte=F("due_by"))),
            paid_late=Count("pk", filter=Q(paid_on__gt=F("due_by"))),
            overdue=Count("pk", filter=Q(paid_on__isnull=True)),
        )
        .order_by("provider__name")
    )
    return [
        {
            "provider": row["provider__code"],
            "name": row["provider__name"],
            "invoices": row["invoices"],
            "on_time": row["on_time"],
            "paid_late": row["paid_late"],
            "overdue": row["overdue"],
            "percent": _percent(row["on_time"], row["invoices"]),
        }
        for row in rows
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
    """`spend_by_zone` for each of consecutive periods, given as (start, end) in order.

    Each table is read once for the whole window, grouped by zone (and by period for
    visits), so the number of queries stays the same however many periods or rows.
    """
    zones = list(Zone.objects.order_by("code").values_list("pk", "code", "name"))
    rows = [{pk: _no_spend(code, name) for pk, code, name in zones} for _ in periods]
    _add_commissioned(rows, periods)
    _add_delivered(rows, periods)
    _add_guaranteed(rows, periods)
    return [list(period_rows.values()) for period_rows in rows]


def _no_spend(code, name):
    return {
        "zone": code,
        "zone_name": name,
        "commissioned_hours": ZERO,
        "commissioned_pounds": ZERO,
        "delivered_hours": ZERO,
        "delivered_pounds": ZERO,
        "payable_hours": ZERO,
        "payable_pounds": ZERO,
        "paid_pounds": ZERO,
    }


def _add_commissioned(rows, periods):
    """Commissioned from the commissioned-care rollup (packages.commissioned): a row per
    zone and day, each package in care at its weekly hours and its provider's rate on
    that day."""
    totals = commissioned.commissioned_by_zone_and_period(periods)
    for (zone_id, index), (hours, pounds) in totals.items():
        zone = rows[index][zone_id]
        zone["commissioned_hours"] = (Decimal(hours) / 7).quantize(pay.PENCE)
        zone["commissioned_pounds"] = (Decimal(pounds) / 7).quantize(pay.PENCE)


def _period_of_day(periods, field="date"):
    """The index of the period a row's date (`field`) falls in (the rows are within them)."""
    return Case(
        *(
            When(**{f"{field}__lte": end}, then=Value(index))
            for index, (_, end) in enumerate(periods[:-1])
        ),
        default=Value(len(periods) - 1),
    )


def _add_delivered(rows, periods):
    """Delivered and payable from the delivery rollups: a row per zone and whole spend
    period that has passed (PeriodDelivery), a row per zone and day for other days
    (DailyDelivery), however many visits."""
    today = clock.today()
    whole = {
        start: index
        for index, (start, end) in enumerate(periods)
        if end < today and commissioned.whole_period(start, end)
    }
    measures = [Sum(name) for name in (*rollup.MEASURES, "paid_minute_pounds")]
    sums = []
    if whole:
        by_period = (
            PeriodDelivery.objects.filter(period_start__in=list(whole))
            .values_list("zone_id", "period_start")
            .annotate(*measures)
            .order_by()
        )
        sums += [(zone_id, whole[start], *rest) for zone_id, start, *rest in plain_rows(by_period)]
    days = [period for index, period in enumerate(periods) if index not in whole.values()]
    if days:
        by_day = (
            DailyDelivery.objects.filter(commissioned.any_range(days))
            .annotate(period=_period_of_day(periods))
            .values_list("zone_id", "period")
            .annotate(*measures)
            .order_by()
        )
        sums += plain_rows(by_day)
    for zone_id, index, delivered, delivered_money, payable, payable_money, paid in sums:
        zone = rows[index][zone_id]
        zone["delivered_hours"] = pay.hours(delivered)
        zone["delivered_pounds"] = _pounds(delivered_money)
        zone["payable_hours"] = pay.hours(payable)
        zone["payable_pounds"] = _pounds(payable_money)
        zone["paid_pounds"] = _pounds(paid)


def _add_guaranteed(rows, periods):
    """Guaranteed hours invoiced are payable, and paid once their line is, counted on the
    Monday of the week they make up (the dashboard's 4-week periods start on Mondays, so
    each such week lies in one of them)."""
    sums = (
        GuaranteeWeek.objects.filter(week_start__range=(periods[0][0], periods[-1][1]))
        .annotate(period=_period_of_day(periods, "week_start"))
        .values("zone_id", "period")
        .annotate(
            payable=Sum("payable_minutes"),
            payable_money=Sum("payable_minute_pounds"),
            paid_money=Sum("payable_minute_pounds", filter=Q(line__payment__isnull=False)),
        )
        .order_by()
    )
    for row in sums:
        zone = rows[row["period"]][row["zone_id"]]
        zone["payable_hours"] += pay.hours(row["payable"])
        zone["payable_pounds"] += _pounds(row["payable_money"])
        zone["paid_pounds"] += _pounds(row["paid_money"])


def _pounds(minute_pounds):
    return (Decimal(minute_pounds or 0) / 60).quantize(pay.PENCE)


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
