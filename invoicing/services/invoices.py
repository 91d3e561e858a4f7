"""Invoices: previewed, built from delivered visits, withdrawn (reviewing and paying: payments).

The preview and the build make their lines with one function (`draft_invoice`), so
what a provider is shown is what it sends. Building an invoice locks
its provider's row, so two builds for one provider run one after the other, and
attaches its visits with one guarded update (`WHERE invoice_line_id IS NULL`,
checked by row count): a visit is never on two invoices. What pricing changed in
what the visits are payable is added to the daily delivery rollup (invoicing.rollup)
in the same transaction.
"""

import datetime
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q

from accounts.models import Role
from core import audit, bulk, clock
from core.errors import Conflict
from core.formats import date_text
from packages.models import Package, PackageStatus
from providers.models import Provider
from providers.rates import RateBook

from .. import guarantee, pay, rollup, schedule
from ..models import (
    PAYMENT_TERM_DAYS,
    DeliveredVisit,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)
from ..permissions import INVOICE_BUILDERS
from .visits import VisitRow, insert_rows

ONE_DAY = datetime.timedelta(days=1)
ATTACH_ROWS = 5_000  # visits priced and attached by one statement
NOTHING_NEW = "No delivered visits in this period that are not already on an invoice."


@dataclass
class InvoiceDraft:
    """The invoice a build would make, unsaved: its lines (each with `visits`, priced), the
    recorded visits it takes and the planned visits with no record that it would record
    as missed (`not_recorded`). The preview shows it; the build saves it."""

    provider: Provider
    period_start: datetime.date
    period_end: datetime.date
    reference: str
    received_on: datetime.date
    lines: list[InvoiceLine]
    recorded: list[VisitRow]
    not_recorded: list[VisitRow]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def due_by(self) -> datetime.date:
        return self.received_on + datetime.timedelta(days=PAYMENT_TERM_DAYS)

    @property
    def missed(self) -> int:
        """Visits the provider's records say were missed (not those with no record)."""
        return sum(1 for visit in self.recorded if visit.missed)


def preview_invoice(
    *,
    by,
    period_start: datetime.date,
    period_end: datetime.date,
    reference: str,
    provider: Provider | None = None,
    received_on: datetime.date | None = None,
) -> InvoiceDraft:
    """The invoice `build_invoice` would build from the same input, saving nothing: the
    same checks (a 400 the build would give is given here) and the same lines."""
    provider, received_on, reference = _invoice_input(
        by, provider, period_start, period_end, reference, received_on
    )
    _check_reference_free(provider, reference)
    with bulk.collector_paused():
        return draft_invoice(
            by=by,
            provider=provider,
            period_start=period_start,
            period_end=period_end,
            reference=reference,
            received_on=received_on,
        )


def build_invoice(
    *,
    by,
    period_start: datetime.date,
    period_end: datetime.date,
    reference: str,
    provider: Provider | None = None,
    received_on: datetime.date | None = None,
) -> Invoice:
    """An invoice from the provider's delivered visits in the period not yet on an invoice.

    A provider user invoices for its own organisation, received today. Finance (or an
    administrator) records an invoice that came by post: `provider` is required and
    `received_on` defaults to today. Planned visits in the period with no record at all
    (up to yesterday) are recorded as missed and shown on the lines: the preview
    (`preview_invoice`) shows them apart first.
    """
    provider, received_on, reference = _invoice_input(
        by, provider, period_start, period_end, reference, received_on
    )
    with bulk.collector_paused(), transaction.atomic():
        Provider.objects.select_for_update().get(pk=provider.pk)
        _check_reference_free(provider, reference)
        draft = draft_invoice(
            by=by,
            provider=provider,
            period_start=period_start,
            period_end=period_end,
            reference=reference,
            received_on=received_on,
        )
        missed = draft.not_recorded
        for visit, pk in zip(missed, insert_rows(missed), strict=True):
            visit.id = pk
        invoice = Invoice.objects.create(
            provider=provider,
            reference=reference,
            period_start=period_start,
            period_end=period_end,
            received_on=received_on,
            due_by=draft.due_by,
            total=draft.total,
            created_at=clock.now(),
            created_by=by,
        )
        for line in draft.lines:
            line.invoice = invoice
        InvoiceLine.objects.bulk_create(draft.lines)
        guarantee.save_guarantee_weeks(draft.lines)
        audit.record(by=by, obj=invoice, action=audit.CREATE, changes=audit.created(invoice))
        _attach(draft.recorded + missed, draft.lines)
        rollup.apply_pricing(draft.recorded, added=missed)
    return invoice


def draft_invoice(
    *,
    by,
    provider: Provider,
    period_start: datetime.date,
    period_end: datetime.date,
    reference: str,
    received_on: datetime.date,
) -> InvoiceDraft:
    """What an invoice for the period would hold, computed and priced but not saved: the one
    way lines are built, for the preview and the build alike. Visits from today on are not
    due yet: only those up to yesterday with no record count as not recorded."""
    recorded = _recorded(provider, period_start, period_end)
    if not recorded:
        raise ValidationError({"non_field_errors": [NOTHING_NEW]})
    packages = _packages(provider, period_start, period_end, recorded)
    last_due = min(period_end, clock.today() - ONE_DAY)
    book = RateBook.load([provider.pk])
    not_recorded = _not_recorded(by, provider, packages, book, period_start, last_due)
    visits = recorded + not_recorded
    lines = _lines(provider, packages, book, visits, period_start, period_end)
    lines += guarantee.guarantee_lines(provider, visits, book, period_start, period_end)
    return InvoiceDraft(
        provider=provider,
        period_start=period_start,
        period_end=period_end,
        reference=reference,
        received_on=received_on,
        lines=lines,
        recorded=recorded,
        not_recorded=not_recorded,
    )


def _invoice_input(by, provider, period_start, period_end, reference, received_on):
    """(provider, received_on, reference) checked: a provider user invoices for its own
    organisation, received today."""
    if not (by and by.is_authenticated and by.role in INVOICE_BUILDERS):
        raise PermissionDenied
    today = clock.today()
    if by.role == Role.PROVIDER:
        provider, received_on = by.provider, today
    reference = (reference or "").strip()
    received_on = received_on or today
    _check_invoice_input(provider, period_start, period_end, reference, received_on, today)
    return provider, received_on, reference


def _check_reference_free(provider, reference):
    if Invoice.objects.filter(provider=provider, reference=reference).exists():
        raise ValidationError(
            {"reference": [f"Invoice {reference} from {provider.name} is already recorded."]}
        )


def _check_invoice_input(provider, period_start, period_end, reference, received_on, today):
    errors = {}
    if provider is None:
        errors["provider"] = ["Choose the provider the invoice came from."]
    if not reference:
        errors["reference"] = ["Enter the invoice reference."]
    if period_start is None:
        errors["period_start"] = ["Enter the first day of the period."]
    if period_end is None:
        errors["period_end"] = ["Enter the last day of the period."]
    elif period_start is not None and period_end < period_start:
        errors["period_end"] = ["The period must end on or after the day it starts."]
    elif period_end > today:
        errors["period_end"] = ["The period cannot end after today: invoice in arrears."]
    if received_on > today:
        errors["received_on"] = ["The date received cannot be in the future."]
    elif period_end is not None and received_on < period_end:
        # Invoiced in arrears: an invoice cannot arrive before the care it bills for ends.
        errors["received_on"] = [
            f"The date received cannot be before the period ends ({date_text(period_end)})."
        ]
    if errors:
        raise ValidationError(errors)


# What pricing a recorded visit reads of it (and its id, to attach it).
RECORDED_COLUMNS = (
    "id", "package_id", "provider_id", "zone_id", "base_rate", "date", "actual_start",
    "carers", "actual_minutes", "payable_minutes", "planned_start", "missed", "short", "late",
)  # fmt: skip
READ_ROWS = 5_000


def _recorded(provider, period_start, period_end) -> list[VisitRow]:
    """The provider's recorded visits in the period on no invoice yet, as values, read
    READ_ROWS at a time: an invoice of 2,716 packages reads 150,000 of them. Equal dates,
    times and rates are kept once (the database hands each row its own)."""
    rows = DeliveredVisit.objects.filter(
        provider=provider,
        date__range=(period_start, period_end),
        invoice_line__isnull=True,
        actual_start__isnull=False,
    ).values_list(*RECORDED_COLUMNS)
    shared = {}
    keep = shared.setdefault
    recorded = []
    for row in rows.iterator(chunk_size=READ_ROWS):
        pk, package_id, provider_id, zone_id, base_rate, day, start, carers, *rest = row
        actual, payable, planned_start, missed, short, late = rest
        recorded.append(
            VisitRow(
                id=pk,
                package_id=package_id,
                provider_id=provider_id,
                zone_id=zone_id,
                base_rate=keep(base_rate, base_rate),
                date=keep(day, day),
                actual_start=keep(start, start),
                actual_end=None,  # not read: pricing needs the minutes
                carers=carers,
                recorded_at=None,
                recorded_by_id=None,
                actual_minutes=actual,
                payable_minutes=payable,
                planned_start=planned_start
                if planned_start is None
                else keep(planned_start, planned_start),
                missed=missed,
                short=short,
                late=late,
            )
        )
    return recorded


def _packages(provider, period_start, period_end, recorded):
    """The packages to invoice: those of the recorded visits, and those placed with the
    provider during the period (whose planned visits may have been missed)."""
    placed = Q(
        provider=provider,
        status__in=(PackageStatus.PLACED, PackageStatus.ENDED),
        start_date__lte=period_end,
    ) & (Q(ended_on__isnull=True) | Q(ended_on__gte=period_start))
    packages = schedule.load(
        Package.objects.filter(placed | Q(pk__in={v.package_id for v in recorded}))
    )
    schedule.mark_service_start(list(packages.values()), provider.pk)
    for package in packages.values():
        package.with_provider = package.provider_id == provider.pk and package.status in (
            PackageStatus.PLACED,
            PackageStatus.ENDED,
        )
    return packages


def _not_recorded(by, provider, packages, book, first, last):
    """A missed visit (values, unsaved) for each planned visit with no record at all, from
    `first` to `last`."""
    current = [package for package in packages.values() if package.with_provider]
    if last < first or not current:
        return []
    recorded = set(
        DeliveredVisit.objects.filter(
            package_id__in=[package.pk for package in current],
            date__range=(first, last),
            planned_visit__isnull=False,
        ).values_list("planned_visit_id", "date")
    )
    now = clock.now()
    return [
        VisitRow(
            package_id=package.pk,
            provider_id=provider.pk,
            zone_id=package.zone_id,
            base_rate=book.rate_on(provider.pk, package.zone_id, day),
            date=day,
            actual_start=None,
            actual_end=None,
            carers=planned.carers,
            planned_visit_id=planned.id,
            planned_start=planned.time,
            planned_minutes=pay.planned_minutes_on(day, planned.time, planned.duration_minutes),
            planned_carers=planned.carers,
            missed=True,
            recorded_at=now,
            recorded_by_id=by.pk if by else None,
        )
        for package in current
        for day, planned in schedule.planned_occurrences(package, first, last)
        if (planned.pk, day) not in recorded
    ]


def _lines(provider, packages, book, visits, period_start, period_end):
    """One line per package, pricing each visit (paid minutes and rate) on the way; each
    line counts the visits it holds with no record (`not_recorded_visits`)."""
    terms = pay.PayTerms.of(provider)
    # Each day's rate at each base rate, with the day's uplift, reckoned once.
    rate_on = lru_cache(maxsize=None)(lambda day, base: pay.hourly_rate_on(day, base, terms))
    by_package = defaultdict(list)
    for visit in visits:
        by_package[visit.package_id].append(visit)
    already_paid = _paid_in_plan_cycles(packages, by_package)
    lines = []
    for package_id in sorted(by_package):
        package, package_visits = packages[package_id], by_package[package_id]
        _price(package, package_visits, rate_on, book, already_paid)
        paid = sum(visit.paid_minutes for visit in package_visits)
        line = InvoiceLine(
            package=package,
            commissioned_hours=schedule.commissioned_hours(package, period_start, period_end),
            delivered_hours=pay.hours(sum(v.delivered_minutes for v in package_visits)),
            payable_hours=pay.hours(paid),
            # The base rate at the period's end; each visit is priced at its own day's.
            rate=book.rate_on(provider.pk, package.zone_id, period_end),
            amount=pay.amount((v.paid_minutes, v.rate) for v in package_visits),
            visit_count=sum(1 for v in package_visits if not v.missed),
            missed_visits=sum(1 for v in package_visits if v.missed),
            short_visits=sum(1 for v in package_visits if v.short),
            late_visits=sum(1 for v in package_visits if v.late),
        )
        line.not_recorded_visits = sum(1 for v in package_visits if v.actual_start is None)
        lines.append(line)
    return lines


def _price(package, visits, rate_on, book, already_paid):
    """Set each visit's paid minutes (after a flexible plan's 4-week cap) and rate: the base
    rate in force on its day in its zone, with that day's uplift (`rate_on(day, base)`)."""
    visits.sort(key=lambda v: (v.date, v.actual_start or v.planned_start or datetime.time.min))
    for visit in visits:
        base = book.rate_on(visit.provider_id, visit.zone_id, visit.date)
        visit.rate = rate_on(visit.date, base)
        visit.paid_minutes = visit.payable_minutes
    if not schedule.has_flexible_plan(package):
        return
    cycles = defaultdict(list)
    for visit in visits:
        # Only the days a flexible plan is in force are capped by it.
        if schedule.plan_on(package, visit.date) is not None:
            cycles[pay.plan_cycle(package.start_date, visit.date)].append(visit)
    for cycle, cycle_visits in cycles.items():
        first = pay.cycle_dates(package.start_date, cycle)[0]
        allowance = schedule.plan_cap_minutes(package, first) - already_paid[(package.pk, cycle)]
        paid = pay.apply_cap([v.payable_minutes for v in cycle_visits], allowance)
        for visit, minutes in zip(cycle_visits, paid, strict=True):
            visit.paid_minutes = minutes


def _paid_in_plan_cycles(packages, by_package):
    """{(package, cycle): carer minutes already paid on earlier invoices} for flexible plans."""
    flexible = [pk for pk in by_package if schedule.has_flexible_plan(packages[pk])]
    paid = defaultdict(int)
    if not flexible:
        return paid
    earliest = min(
        pay.cycle_dates(
            packages[pk].start_date,
            pay.plan_cycle(packages[pk].start_date, min(v.date for v in by_package[pk])),
        )[0]
        for pk in flexible
    )
    rows = DeliveredVisit.objects.filter(
        package_id__in=flexible, invoice_line__isnull=False, date__gte=earliest
    ).values_list("package_id", "date", "paid_minutes")
    for package_id, day, minutes in rows:
        paid[(package_id, pay.plan_cycle(packages[package_id].start_date, day))] += minutes
    return paid


def _attach(visits, lines):
    """Price the visits and put each on its package's line, WHERE the visit is on no invoice
    yet (a Conflict if any was): on PostgreSQL, the (visit, paid minutes, rate, line) rows
    copied into a temporary table and one UPDATE ... FROM it (150,000 visits in 2.8 s,
    where 31 UPDATEs from 5,000 VALUES each took about 6); elsewhere one UPDATE per ATTACH_ROWS
    of them. (Django's bulk_update would build a CASE of every visit: 90 s for 150,000.)"""
    line_of_package = {line.package_id: line.pk for line in lines if line.package_id}
    rows = [
        (visit.id, visit.paid_minutes, visit.rate, line_of_package[visit.package_id])
        for visit in visits
    ]
    attach = _attach_copied if connection.vendor == "postgresql" else _attach_batches
    if attach(rows) != len(visits):
        raise Conflict("Some of these visits were put on another invoice meanwhile: try again.")


_ATTACH = (
    "UPDATE {table} SET paid_minutes = priced.paid_minutes, rate = priced.rate, "
    "invoice_line_id = priced.line_id FROM {priced} "
    "WHERE {table}.id = priced.id AND {table}.invoice_line_id IS NULL"
)


def _attach_copied(rows):
    """The rows copied into a temporary table (dropped once read), then one guarded UPDATE
    from it; how many visits it attached."""
    table = connection.ops.quote_name(DeliveredVisit._meta.db_table)
    # In id order, the order the visits lie in the table: the UPDATE then writes its pages
    # and indexes in turn (in a package's order, visits recorded day by day lie a page
    # apart: 2,716 packages' UPDATE took 3.4-3.6 s so, 2.8-2.9 in id order, runs taken
    # in turn).
    lines = "".join(
        f"{pk}\t{minutes}\t{rate}\t{line}\n" for pk, minutes, rate, line in sorted(rows)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE invoice_priced_visits (id bigint PRIMARY KEY, "
            "paid_minutes integer NOT NULL, rate numeric(9, 4) NOT NULL, line_id bigint NOT NULL)"
        )
        cursor.copy_expert("COPY invoice_priced_visits FROM STDIN", io.StringIO(lines))
        cursor.execute(_ATTACH.format(table=table, priced="invoice_priced_visits AS priced"))
        attached = cursor.rowcount
        cursor.execute("DROP TABLE invoice_priced_visits")
    return attached


def _attach_batches(rows):
    """One guarded UPDATE per batch of rows, from a list of VALUES; how many it attached."""
    table = connection.ops.quote_name(DeliveredVisit._meta.db_table)
    fields = [DeliveredVisit._meta.get_field(name) for name in ("id", "paid_minutes", "rate")]
    size = min(ATTACH_ROWS, connection.ops.bulk_batch_size([*fields, fields[0]], rows) or 1)
    attached = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
            cursor.execute(
                f"WITH priced (id, paid_minutes, rate, line_id) AS (VALUES {values}) "
                + _ATTACH.format(table=table, priced="priced"),
                [value for row in batch for value in row],
            )
            attached += _changed(cursor)
    return attached


def _changed(cursor):
    """The rows the last statement changed. Python's sqlite3 gives no rowcount (-1) for a
    statement that opens with WITH, so there SQLite's own changes() is asked."""
    if cursor.rowcount >= 0:
        return cursor.rowcount
    cursor.execute("SELECT changes()")
    return cursor.fetchone()[0]


# Not approved yet: the provider may still take its invoice back.
WITHDRAWABLE = (InvoiceStatus.RECEIVED, InvoiceStatus.DISPUTED)


def withdraw_invoice(*, invoice_id, by) -> None:
    """The provider takes back an invoice nobody has approved, to send a corrected one: it
    leaves the invoices (the contract knows an invoice only as received, approved, disputed
    or paid, so a withdrawn one is not one of them: it answers 404 after), its recorded
    visits are free for another invoice (unpriced again), and the visits it recorded as
    missed for want of a record are gone, so they may yet be recorded. The audit trail
    keeps it whole: every field and every line, as it was when withdrawn."""
    if not (by and by.is_authenticated and by.role in INVOICE_BUILDERS):
        raise PermissionDenied
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.status not in WITHDRAWABLE:
            raise Conflict(
                f"Invoice {invoice.reference} is {invoice.get_status_display().lower()}: "
                "only an invoice not yet approved can be withdrawn."
            )
        visits = list(DeliveredVisit.objects.filter(invoice_line__invoice=invoice))
        recorded = [visit for visit in visits if visit.actual_start is not None]
        rollup.undo_pricing(recorded, removed=[v for v in visits if v.actual_start is None])
        DeliveredVisit.objects.filter(pk__in=[v.pk for v in recorded]).update(
            invoice_line=None, paid_minutes=None, rate=None
        )
        DeliveredVisit.objects.filter(
            invoice_line__invoice=invoice, actual_start__isnull=True
        ).delete()
        audit.record(by=by, obj=invoice, action=audit.DELETE, changes=_as_withdrawn(invoice))
        invoice.lines.all().delete()
        invoice.delete()


def _as_withdrawn(invoice) -> dict[str, list]:
    """The withdrawn invoice for the audit trail: each field from its value to nothing, its
    status to "withdrawn", and its lines (what each paid for, and how much)."""
    kept = {name: [value, None] for name, value in audit.snapshot(invoice).items()}
    lines = [
        f"{line}: {line.payable_hours} hours payable, {line.amount}"
        for line in invoice.lines.order_by("pk")
    ]
    return {**kept, "status": [invoice.status, "withdrawn"], "lines": ["; ".join(lines), None]}
