"""CSV columns of the invoicing tables: the same rows the pages show, and the payment run
export for the council's finance system."""

import datetime

VISIT_HEADER = [
    "id",
    "package",
    "provider",
    "date",
    "actual_start",
    "actual_end",
    "carers",
    "planned_start",
    "planned_minutes",
    "actual_minutes",
    "payable_minutes",
    "paid_minutes",
    "missed",
    "short",
    "late",
    "unplanned",
    "invoice",
]
# The upload's own columns, so a provider fills in the actual times and sends the file back.
PLANNED_HEADER = ["package", "date", "actual_start", "actual_end", "carers", "purpose"]
INVOICE_HEADER = [
    "id",
    "provider",
    "reference",
    "period_start",
    "period_end",
    "received_on",
    "due_by",
    "days_left",
    "status",
    "deadline_status",
    "total",
    "paid_on",
    "payment_reference",
]
LINE_HEADER = [
    "package",
    "zone",
    "commissioned_hours",
    "delivered_hours",
    "payable_hours",
    "rate",
    "amount",
    "visits",
    "missed",
    "short",
    "late",
    "kind",
]
PAYMENT_HEADER = [
    "payment_run",
    "paid_on",
    "provider_code",
    "provider_name",
    "invoice_id",
    "invoice_reference",
    "period_start",
    "period_end",
    "received_on",
    "due_by",
    "amount",
    "on_time",
]


def _time(value):
    return f"{value:%H:%M}" if value is not None else ""


def _yes(value):
    return "yes" if value else "no"


def visit_rows(visits):
    for visit in visits.iterator(chunk_size=2000):
        yield [
            visit.pk,
            visit.package_id,
            visit.provider.code,
            visit.date.isoformat(),
            _time(visit.actual_start),
            _time(visit.actual_end),
            visit.carers,
            _time(visit.planned_start),
            visit.planned_minutes,
            visit.actual_minutes,
            visit.payable_minutes,
            visit.paid_minutes,
            _yes(visit.missed),
            _yes(visit.short),
            _yes(visit.late),
            _yes(visit.unplanned),
            visit.invoice_line.invoice_id if visit.invoice_line else "",
        ]


def invoice_rows(invoices):
    for invoice in invoices.iterator(chunk_size=2000):
        yield [
            invoice.pk,
            invoice.provider.code,
            invoice.reference,
            invoice.period_start.isoformat(),
            invoice.period_end.isoformat(),
            invoice.received_on.isoformat(),
            invoice.due_by.isoformat(),
            "" if invoice.paid_on else invoice.days_left.days,
            invoice.status,
            invoice.deadline_status,
            invoice.total,
            invoice.paid_on.isoformat() if invoice.paid_on else "",
            invoice.payment_reference,
        ]


def line_rows(invoice):
    for line in invoice.lines.all():
        yield [
            line.package_id or "",
            line.zone.code,
            line.commissioned_hours,
            line.delivered_hours,
            line.payable_hours,
            line.rate,
            line.amount,
            line.visit_count,
            line.missed_visits,
            line.short_visits,
            line.late_visits,
            line.kind,
        ]


def payment_rows(invoices):
    for invoice in invoices:
        yield [
            invoice.payment_reference,
            invoice.paid_on.isoformat(),
            invoice.provider.code,
            invoice.provider.name,
            invoice.pk,
            invoice.reference,
            invoice.period_start.isoformat(),
            invoice.period_end.isoformat(),
            invoice.received_on.isoformat(),
            invoice.due_by.isoformat(),
            invoice.total,
            _yes(invoice.paid_on <= invoice.due_by),
        ]


def planned_rows(occurrences):
    """Each planned visit with its planned times standing in for the actual ones."""
    for package, day, planned in occurrences:
        starts = datetime.datetime.combine(day, planned.time)
        ends = starts + datetime.timedelta(minutes=planned.duration_minutes)
        yield [
            package.pk,
            day.isoformat(),
            starts.strftime("%H:%M"),
            ends.strftime("%H:%M"),
            planned.carers,
            planned.get_purpose_display(),
        ]
