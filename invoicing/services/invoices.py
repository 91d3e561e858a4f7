"""Invoices: built from delivered visits, reviewed, paid one by one or in a payment run.

One transition map (TRANSITIONS) and one guard (`_transition`) decide what each
action may do; a paid invoice is the end of the road. Building an invoice locks
its provider's row, so two builds for one provider run one after the other, and
attaches its visits with one guarded update (`WHERE invoice_line_id IS NULL`,
checked by row count): a visit is never on two invoices. What pricing changed in
what the visits are payable is added to the daily delivery rollup (invoicing.rollup)
in the same transaction.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from accounts.models import Role
from core import audit, clock
from core.errors import Conflict
from packages.models import Package, PackageStatus
from packages.selectors import with_schedule
from providers.models import Provider
from providers.rates import RateBook

from .. import guarantee, pay, rollup, schedule
from ..models import (
    PAYMENT_TERM_DAYS,
    DeliveredVisit,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PaymentRun,
)
from ..permissions import FINANCE, INVOICE_BUILDERS

ONE_DAY = datetime.timedelta(days=1)
ATTACH_ROWS = 5_000  # visits priced and attached by one statement
NOTHING_NEW = "No delivered visits in this period that are not already on an invoice."

# action: (statuses it may start from, status it leads to, past tense for messages)
TRANSITIONS = {
    "approve": (
        (InvoiceStatus.RECEIVED, InvoiceStatus.DISPUTED),
        InvoiceStatus.APPROVED,
        "approved",
    ),
    "dispute": (
        (InvoiceStatus.RECEIVED, InvoiceStatus.APPROVED),
        InvoiceStatus.DISPUTED,
        "disputed",
    ),
    "pay": ((InvoiceStatus.RECEIVED, InvoiceStatus.APPROVED), InvoiceStatus.PAID, "paid"),
}


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
    (up to yesterday) are recorded as missed and shown on the lines.
    """
    if not (by and by.is_authenticated and by.role in INVOICE_BUILDERS):
        raise PermissionDenied
    today = clock.today()
    if by.role == Role.PROVIDER:
        provider, received_on = by.provider, today
    reference = (reference or "").strip()
    _check_invoice_input(provider, period_start, period_end, reference, received_on or today, today)
    with transaction.atomic():
        Provider.objects.select_for_update().get(pk=provider.pk)
        if Invoice.objects.filter(provider=provider, reference=reference).exists():
            raise ValidationError(
                {"reference": [f"Invoice {reference} from {provider.name} is already recorded."]}
            )
        recorded = list(
            DeliveredVisit.objects.filter(
                provider=provider,
                date__range=(period_start, period_end),
                invoice_line__isnull=True,
                actual_start__isnull=False,
            )
        )
        if not recorded:
            raise ValidationError({"non_field_errors": [NOTHING_NEW]})
        packages = _packages(provider, period_start, period_end, recorded)
        book = RateBook.load([provider.pk])
        missed = _record_missed(
            by, provider, packages, book, period_start, min(period_end, today - ONE_DAY)
        )
        invoice = Invoice(
            provider=provider,
            reference=reference,
            period_start=period_start,
            period_end=period_end,
            received_on=received_on or today,
            due_by=(received_on or today) + datetime.timedelta(days=PAYMENT_TERM_DAYS),
            created_at=clock.now(),
            created_by=by,
        )
        lines = _lines(provider, packages, book, recorded + missed, period_start, period_end)
        lines += guarantee.guarantee_lines(
            provider, recorded + missed, book, period_start, period_end
        )
        invoice.total = sum((line.amount for line in lines), Decimal("0.00"))
        invoice.save()
        for line in lines:
            line.invoice = invoice
        InvoiceLine.objects.bulk_create(lines)
        audit.record(by=by, obj=invoice, action=audit.CREATE, changes=audit.created(invoice))
        _attach(recorded + missed, lines)
        rollup.apply_pricing(recorded, added=missed)
    return invoice


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
            f"The date received cannot be before the period ends ({period_end:%-d %B %Y})."
        ]
    if errors:
        raise ValidationError(errors)


def _packages(provider, period_start, period_end, recorded):
    """The packages to invoice: those of the recorded visits, and those placed with the
    provider during the period (whose planned visits may have been missed)."""
    placed = Q(
        provider=provider,
        status__in=(PackageStatus.PLACED, PackageStatus.ENDED),
        start_date__lte=period_end,
    ) & (Q(ended_on__isnull=True) | Q(ended_on__gte=period_start))
    packages = {
        package.pk: package
        for package in with_schedule(
            Package.objects.filter(placed | Q(pk__in={v.package_id for v in recorded}))
        )
    }
    schedule.mark_service_start(list(packages.values()), provider.pk)
    for package in packages.values():
        package.with_provider = package.provider_id == provider.pk and package.status in (
            PackageStatus.PLACED,
            PackageStatus.ENDED,
        )
    return packages


def _record_missed(by, provider, packages, book, first, last):
    """A missed visit for each planned visit with no record at all, from `first` to `last`."""
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
    missed = [
        DeliveredVisit(
            package=package,
            provider=provider,
            zone_id=package.zone_id,
            base_rate=book.rate_on(provider.pk, package.zone_id, day),
            date=day,
            carers=planned.carers,
            planned_visit=planned,
            planned_start=planned.time,
            planned_minutes=pay.planned_minutes_on(day, planned.time, planned.duration_minutes),
            planned_carers=planned.carers,
            missed=True,
            recorded_at=now,
            recorded_by=by,
        )
        for package in current
        for day, planned in schedule.planned_occurrences(package, first, last)
        if (planned.pk, day) not in recorded
    ]
    return DeliveredVisit.objects.bulk_create(missed)


def _lines(provider, packages, book, visits, period_start, period_end):
    """One line per package, pricing each visit (paid minutes and rate) on the way."""
    terms = pay.PayTerms.of(provider)
    by_package = defaultdict(list)
    for visit in visits:
        by_package[visit.package_id].append(visit)
    already_paid = _paid_in_plan_cycles(packages, by_package)
    lines = []
    for package_id in sorted(by_package):
        package, package_visits = packages[package_id], by_package[package_id]
        _price(package, package_visits, terms, book, already_paid)
        paid = sum(visit.paid_minutes for visit in package_visits)
        lines.append(
            InvoiceLine(
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
        )
    return lines


def _price(package, visits, terms, book, already_paid):
    """Set each visit's paid minutes (after a flexible plan's 4-week cap) and rate: the base
    rate in force on its day in its zone, with that day's uplift."""
    visits.sort(key=lambda v: (v.date, v.actual_start or v.planned_start or datetime.time.min))
    for visit in visits:
        base = book.rate_on(visit.provider_id, visit.zone_id, visit.date)
        visit.rate = pay.hourly_rate_on(visit.date, base, terms)
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
    """Price the visits and put each on its package's line: one guarded UPDATE per batch of
    (visit, paid minutes, rate, line) rows, WHERE the visit is on no invoice yet. (Django's
    bulk_update would build a CASE of every visit: 90 s for an invoice of 150,000 visits.)"""
    line_of_package = {line.package_id: line.pk for line in lines if line.package_id}
    rows = [
        (visit.pk, visit.paid_minutes, visit.rate, line_of_package[visit.package_id])
        for visit in visits
    ]
    table = connection.ops.quote_name(DeliveredVisit._meta.db_table)
    fields = [DeliveredVisit._meta.get_field(name) for name in ("id", "paid_minutes", "rate")]
    size = min(ATTACH_ROWS, connection.ops.bulk_batch_size([*fields, fields[0]], rows) or 1)
    attached = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            cursor.execute(
                f"WITH priced (id, paid_minutes, rate, line_id) AS (VALUES "
                f"{', '.join(['(%s, %s, %s, %s)'] * len(batch))}) "
                f"UPDATE {table} SET paid_minutes = priced.paid_minutes, rate = priced.rate, "
                f"invoice_line_id = priced.line_id FROM priced "
                f"WHERE {table}.id = priced.id AND {table}.invoice_line_id IS NULL",
                [value for row in batch for value in row],
            )
            attached += cursor.rowcount
    if attached != len(visits):
        raise Conflict("Some of these visits were put on another invoice meanwhile: try again.")


def allowed_actions(invoice) -> list[str]:
    """The actions the invoice's status allows (for showing only the buttons that work)."""
    return [action for action, (sources, _, _) in TRANSITIONS.items() if invoice.status in sources]


def approve_invoice(*, invoice_id, by) -> Invoice:
    return _transition(invoice_id=invoice_id, action="approve", by=by, approved_at=clock.now())


def dispute_invoice(*, invoice_id, by, reason: str) -> Invoice:
    """Hold the invoice with a reason the provider sees."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ["Say why the invoice is disputed: the provider sees it."]}
        )
    return _transition(
        invoice_id=invoice_id,
        action="dispute",
        by=by,
        dispute_reason=reason,
        disputed_at=clock.now(),
    )


def pay_invoice(*, invoice_id, by, paid_on: datetime.date, payment_reference: str) -> Invoice:
    """Record the payment. Paying twice is a Conflict: a paid invoice never changes."""
    payment_reference = (payment_reference or "").strip()
    _check_payment(paid_on, payment_reference, "payment_reference")
    return _transition(
        invoice_id=invoice_id,
        action="pay",
        by=by,
        paid_on=paid_on,
        payment_reference=payment_reference,
        paid_at=clock.now(),
    )


def _check_payment(paid_on, reference, reference_field):
    errors = {}
    if paid_on is None:
        errors["paid_on"] = ["Enter the date it was paid."]
    elif paid_on > clock.today():
        errors["paid_on"] = ["The date paid cannot be in the future."]
    if not reference:
        errors[reference_field] = ["Enter the payment reference."]
    if errors:
        raise ValidationError(errors)


def _transition(*, invoice_id, action, by, **changes) -> Invoice:
    """The one guard: lock the invoice, check the map, change it (audited as `by`)."""
    if not (by and by.is_authenticated and by.role in FINANCE):
        raise PermissionDenied
    sources, target, done = TRANSITIONS[action]
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.status not in sources:
            raise Conflict(
                f"Invoice {invoice.reference} is {invoice.get_status_display().lower()}: "
                f"it cannot be {done}."
            )
        paid_on = changes.get("paid_on")
        if paid_on is not None and paid_on < invoice.received_on:
            raise ValidationError(
                {"paid_on": [f"The invoice was received on {invoice.received_on:%Y-%m-%d}."]}
            )
        before = audit.snapshot(invoice)
        invoice.status = target
        for field, value in changes.items():
            setattr(invoice, field, value)
        invoice.save(update_fields=["status", *changes])
        audit.record(by=by, obj=invoice, changes=audit.changed(before, invoice))
        if target == InvoiceStatus.PAID:
            rollup.apply_payment([invoice.pk])
    return invoice


def run_payments(*, by, invoice_ids, paid_on: datetime.date, reference: str) -> PaymentRun:
    """Pay approved invoices together, all or none: one run, one reference, rows locked.

    Any invoice that is not approved (paid meanwhile, disputed) is a Conflict naming it,
    and nothing is paid.
    """
    if not (by and by.is_authenticated and by.role in FINANCE):
        raise PermissionDenied
    reference = (reference or "").strip()
    ids = sorted({int(pk) for pk in invoice_ids or []})
    _check_payment(paid_on, reference, "reference")
    if not ids:
        raise ValidationError({"invoices": ["Choose at least one approved invoice to pay."]})
    with transaction.atomic():
        invoices = list(Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        unknown = sorted(set(ids) - {invoice.pk for invoice in invoices})
        if unknown:
            raise ValidationError({"invoices": [f"No invoice {pk}." for pk in unknown]})
        _check_payable(invoices, paid_on)
        now = clock.now()
        run = _new_payment_run(by, reference, paid_on, invoices, now)
        audit.record(by=by, obj=run, action=audit.CREATE, changes=audit.created(run))
        paid = {"status": [InvoiceStatus.APPROVED.value, InvoiceStatus.PAID.value]}
        paid |= {"paid_on": [None, str(paid_on)], "payment_reference": [None, reference]}
        audit.record_many(by=by, objs=invoices, changes=paid)
        for invoice in invoices:
            invoice.status, invoice.paid_on, invoice.paid_at = InvoiceStatus.PAID, paid_on, now
            invoice.payment_reference, invoice.payment_run = reference, run
            invoice.save(
                update_fields=["status", "paid_on", "paid_at", "payment_reference", "payment_run"]
            )
        rollup.apply_payment([invoice.pk for invoice in invoices])
    return run


def _new_payment_run(by, reference, paid_on, invoices, now) -> PaymentRun:
    """The run, or a ValidationError on `reference` if it is taken. The unique constraint
    decides, not a look-up first: two runs started at once under one reference (each on
    other invoices, so neither waits for the other's locks) would both pass a look-up."""
    try:
        with transaction.atomic():
            return PaymentRun.objects.create(
                reference=reference,
                paid_on=paid_on,
                total=sum((invoice.total for invoice in invoices), Decimal("0.00")),
                created_at=now,
                created_by=by,
            )
    except IntegrityError:
        raise ValidationError({"reference": [f"Payment run {reference} already exists."]}) from None


def _check_payable(invoices, paid_on):
    not_approved = [invoice for invoice in invoices if invoice.status != InvoiceStatus.APPROVED]
    if not_approved:
        names = ", ".join(f"{i.reference} ({i.get_status_display().lower()})" for i in not_approved)
        raise Conflict(f"Only approved invoices can be paid in a run: {names}. Nothing was paid.")
    early = [invoice.reference for invoice in invoices if paid_on < invoice.received_on]
    if early:
        raise ValidationError({"paid_on": [f"Paid before it was received: {', '.join(early)}."]})
