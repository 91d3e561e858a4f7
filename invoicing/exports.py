"""CSV columns of the invoicing tables (core.tables Columns): the same rows the pages show,
the payment run's file for the council's finance system and the remittance advice."""

import datetime

from core.tables import Column


def _time(value):
    return f"{value:%H:%M}" if value is not None else ""


def _yes(value):
    return "yes" if value else "no"


def _date(value):
    return value.isoformat() if value else ""


VISIT_COLUMNS = [
    Column("id", lambda v: v.pk),
    Column("package", lambda v: v.package_id),
    Column("provider", lambda v: v.provider.code),
    Column("date", lambda v: v.date.isoformat()),
    Column("actual_start", lambda v: _time(v.actual_start)),
    Column("actual_end", lambda v: _time(v.actual_end)),
    Column("carers", lambda v: v.carers),
    Column("planned_start", lambda v: _time(v.planned_start)),
    Column("planned_minutes", lambda v: v.planned_minutes),
    Column("actual_minutes", lambda v: v.actual_minutes),
    Column("payable_minutes", lambda v: v.payable_minutes),
    Column("paid_minutes", lambda v: v.paid_minutes),
    Column("missed", lambda v: _yes(v.missed)),
    Column("short", lambda v: _yes(v.short)),
    Column("late", lambda v: _yes(v.late)),
    Column("unplanned", lambda v: _yes(v.unplanned)),
    Column("invoice", lambda v: v.invoice_line.invoice_id if v.invoice_line else ""),
]


def _planned_end(occurrence):
    _, day, planned = occurrence
    starts = datetime.datetime.combine(day, planned.time)
    return (starts + datetime.timedelta(minutes=planned.duration_minutes)).strftime("%H:%M")


# The upload's own columns, so a provider fills in the actual times and sends the file back.
# Each row is a (package, day, planned visit) with its planned times standing in.
PLANNED_COLUMNS = [
    Column("package", lambda o: o[0].pk),
    Column("date", lambda o: o[1].isoformat()),
    Column("actual_start", lambda o: o[2].time.strftime("%H:%M")),
    Column("actual_end", _planned_end),
    Column("carers", lambda o: o[2].carers),
    Column("purpose", lambda o: o[2].get_purpose_display()),
]
INVOICE_COLUMNS = [
    Column("id", lambda i: i.pk),
    Column("provider", lambda i: i.provider.code),
    Column("reference", lambda i: i.reference),
    Column("period_start", lambda i: i.period_start.isoformat()),
    Column("period_end", lambda i: i.period_end.isoformat()),
    Column("received_on", lambda i: i.received_on.isoformat()),
    Column("due_by", lambda i: i.due_by.isoformat()),
    Column("days_left", lambda i: "" if i.paid_on else i.days_left.days),
    Column("status", lambda i: i.status),
    Column("deadline_status", lambda i: i.deadline_status),
    Column("total", lambda i: i.total),
    Column("held_total", lambda i: i.held_total),
    Column("paid_on", lambda i: _date(i.paid_on)),
    Column("payment_reference", lambda i: i.payment_reference),
]
LINE_COLUMNS = [
    Column("package", lambda line: line.package_id or ""),
    Column("zone", lambda line: line.zone.code),
    Column("commissioned_hours", lambda line: line.commissioned_hours),
    Column("delivered_hours", lambda line: line.delivered_hours),
    Column("payable_hours", lambda line: line.payable_hours),
    Column("rate", lambda line: line.rate),
    Column("amount", lambda line: line.amount),
    Column("visits", lambda line: line.visit_count),
    Column("missed", lambda line: line.missed_visits),
    Column("short", lambda line: line.short_visits),
    Column("late", lambda line: line.late_visits),
    Column("kind", lambda line: line.kind),
    Column("held", lambda line: _yes(line.is_held)),
    Column("paid", lambda line: _yes(line.payment_id)),
]
# The payment run's file: a row per payment (an invoice, the rest of one, or a released
# line), then a negative row per credit note it nets (selectors.payment_run_rows). The
# finance system imports it and matches on its references: they are written exactly as
# entered (the formula guard is for files opened in a spreadsheet, which the others are).
PAYMENT_COLUMNS = [
    Column("payment_run", lambda r: r.run.reference, verbatim=True),
    Column("paid_on", lambda r: r.run.paid_on.isoformat()),
    Column("provider_code", lambda r: r.invoice.provider.code),
    Column("provider_name", lambda r: r.invoice.provider.name),
    Column("invoice_id", lambda r: r.invoice.pk),
    Column("invoice_reference", lambda r: r.invoice.reference, verbatim=True),
    Column("period_start", lambda r: r.invoice.period_start.isoformat()),
    Column("period_end", lambda r: r.invoice.period_end.isoformat()),
    Column("received_on", lambda r: r.invoice.received_on.isoformat()),
    Column("due_by", lambda r: r.invoice.due_by.isoformat()),
    Column("amount", lambda r: r.amount),
    Column("on_time", lambda r: "" if r.on_time is None else _yes(r.on_time)),
    # Added after the first version's columns, so that an import reading by position holds.
    Column("supplier_reference", lambda r: r.invoice.provider.supplier_reference, verbatim=True),
    Column("kind", lambda r: r.kind),
]
# Remittance advice: what was paid to one provider, for which invoices and lines.
REMITTANCE_COLUMNS = [
    Column("paid_on", lambda r: r.paid_on.isoformat()),
    Column("payment_reference", lambda r: r.payment_reference),
    Column("kind", lambda r: r.kind),
    Column("invoice_reference", lambda r: r.invoice.reference),
    Column("invoice_id", lambda r: r.invoice.pk),
    Column("package", lambda r: r.package_id or ""),
    Column("amount", lambda r: r.amount),
    Column("reason", lambda r: r.reason),
]
