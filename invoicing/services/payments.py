"""Reviewing and paying invoices: approve, dispute (the whole invoice or one line), pay
(one by one or in a payment run), and credit notes on paid invoices.

One transition map (TRANSITIONS) and one guard (`_transition`) decide what each
action on an invoice may do; each locks the invoice's row first, so a payment and a
line's dispute or release run one after the other. Paying pays what is neither held
nor paid (a Payment), and the invoice is paid once nothing is held or left to pay.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum

from core import audit, clock
from core.errors import Conflict
from core.formats import date_text

from .. import rollup
from ..models import CreditNote, Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentRun
from ..permissions import FINANCE

ZERO = Decimal("0.00")

# action: (statuses it may start from, status it leads to, past tense for messages). Paying
# leads to paid once nothing is held; while a line is held the invoice stays approved.
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
    "pay": ((InvoiceStatus.APPROVED,), InvoiceStatus.PAID, "paid"),
}
# A line may be held, or released, until the invoice is paid in full.
LINE_HOLD_STATUSES = (InvoiceStatus.RECEIVED, InvoiceStatus.APPROVED, InvoiceStatus.DISPUTED)


def allowed_actions(invoice) -> list[str]:
    """The actions the invoice's state allows (for showing only the buttons that work)."""
    allowed = [
        action for action, (sources, _, _) in TRANSITIONS.items() if invoice.status in sources
    ]
    if invoice.paid_on is not None and "dispute" in allowed:
        allowed.remove("dispute")  # paid in part: what is left is held lines, disputed one by one
    if "pay" in allowed and not _payable(invoice, outstanding(invoice)):
        allowed.remove("pay")
    return allowed


def outstanding(invoice, paid: Decimal | None = None) -> Decimal:
    """What paying the invoice now would pay: its total less its held lines and its payments
    (`paid`, or read from its payments, prefetched or not)."""
    if paid is None:
        paid = sum((payment.amount for payment in invoice.payments.all()), ZERO)
    return invoice.total - invoice.held_total - paid


def approve_invoice(*, invoice_id, by) -> Invoice:
    return _transition(invoice_id=invoice_id, action="approve", by=by, approved_at=clock.now())


def dispute_invoice(*, invoice_id, by, reason: str) -> Invoice:
    """Hold the whole invoice with a reason the provider sees."""
    reason = _reason(reason, "Say why the invoice is disputed: the provider sees it.")
    return _transition(
        invoice_id=invoice_id,
        action="dispute",
        by=by,
        dispute_reason=reason,
        disputed_at=clock.now(),
    )


def _reason(reason, missing) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [missing]})
    return reason


def _require_finance(by):
    if not (by and by.is_authenticated and by.role in FINANCE):
        raise PermissionDenied


def _locked(invoice_id, action) -> Invoice:
    """The invoice, its row locked, if `action` may start from its state; else a Conflict."""
    sources, _, done = TRANSITIONS[action]
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.status not in sources:
        raise Conflict(
            f"Invoice {invoice.reference} is {invoice.get_status_display().lower()}: "
            f"it cannot be {done}."
        )
    if action == "dispute" and invoice.paid_on is not None:
        raise Conflict(
            f"Invoice {invoice.reference} is paid but for its held lines: dispute a line instead."
        )
    return invoice


def _transition(*, invoice_id, action, by, **changes) -> Invoice:
    """The one guard: lock the invoice, check the map, change it (audited as `by`)."""
    _require_finance(by)
    with transaction.atomic():
        invoice = _locked(invoice_id, action)
        before = audit.snapshot(invoice)
        invoice.status = TRANSITIONS[action][1]
        for field, value in changes.items():
            setattr(invoice, field, value)
        invoice.save(update_fields=["status", *changes])
        audit.record(by=by, obj=invoice, changes=audit.changed(before, invoice))
    return invoice


def pay_invoice(*, invoice_id, by, paid_on: datetime.date, payment_reference: str) -> Invoice:
    """Pay an approved invoice what is neither held nor paid yet. Paying with nothing left
    to pay (paid twice) is a Conflict: a paid invoice never changes."""
    _require_finance(by)
    payment_reference = (payment_reference or "").strip()
    _check_payment(paid_on, payment_reference, "payment_reference")
    with transaction.atomic():
        invoice = _locked(invoice_id, "pay")
        if paid_on < invoice.received_on:
            raise ValidationError(
                {"paid_on": [f"The invoice was received on {date_text(invoice.received_on)}."]}
            )
        due = outstanding(invoice, _paid_so_far([invoice.pk])[invoice.pk])
        if not _payable(invoice, due):
            raise Conflict(_nothing_to_pay(invoice))
        payment = _pay(invoice, due, by=by, paid_on=paid_on, reference=payment_reference)
        # Spend's paid column counts the lines this payment paid (not those still held).
        rollup.apply_payment([payment.pk])
    return invoice


def _payable(invoice, due) -> bool:
    """Something is left to pay; or, for an invoice of nothing (every visit missed), its
    one payment of nothing, which settles it."""
    return due > 0 or (invoice.paid_on is None and invoice.held_total == 0)


def _nothing_to_pay(invoice) -> str:
    held = f": {invoice.held_total:,.2f} is held" if invoice.held_total else ""
    return f"Nothing is left to pay on invoice {invoice.reference}{held}."


def _paid_so_far(invoice_ids) -> dict:
    """{invoice id: the sum of its payments}, for the invoices given, in one query."""
    paid = dict.fromkeys(invoice_ids, ZERO)
    rows = Payment.objects.filter(invoice_id__in=invoice_ids).values("invoice_id")
    for row in rows.annotate(paid=Sum("amount")).order_by():
        paid[row["invoice_id"]] = row["paid"]
    return paid


def _pay(invoice, due, *, by, paid_on, reference, run=None) -> Payment:
    """Pay `due` on the locked `invoice`: a Payment paying each line neither held nor paid;
    the invoice's first payment sets its `paid_on` (the deadline's), and it is paid once
    nothing is held."""
    now = clock.now()
    payment = Payment.objects.create(
        invoice=invoice,
        paid_on=paid_on,
        payment_reference=reference,
        amount=due,
        payment_run=run,
        created_at=now,
        created_by=by,
    )
    InvoiceLine.objects.filter(invoice=invoice, held_at__isnull=True, payment__isnull=True).update(
        payment=payment
    )
    before = audit.snapshot(invoice)
    if invoice.paid_on is None:
        invoice.paid_on, invoice.payment_reference, invoice.paid_at = paid_on, reference, now
    if invoice.held_total == 0:
        invoice.status = InvoiceStatus.PAID
    invoice.payment_run = run
    invoice.save(update_fields=["status", "paid_on", "payment_reference", "paid_at", "payment_run"])
    audit.record(by=by, obj=invoice, changes=audit.changed(before, invoice))
    audit.record(by=by, obj=payment, action=audit.CREATE, changes=audit.created(payment))
    return payment


def dispute_line(*, invoice_id, line_id, by, reason: str) -> Invoice:
    """Hold one line of an invoice not yet paid in full, with a reason the provider sees: the
    rest can still be approved and paid."""
    _require_finance(by)
    reason = _reason(reason, "Say why the line is disputed: the provider sees it.")
    with transaction.atomic():
        invoice, line = _locked_line(invoice_id, line_id, "held")
        if line.payment_id is not None:
            raise Conflict(f"Package {line.package_id}'s line is paid: it cannot be held.")
        if line.is_held:
            raise Conflict(f"Package {line.package_id}'s line is already held.")
        line.held_at, line.hold_reason = clock.now(), reason
        _change_hold(invoice, line, by=by, held=line.amount)
    return invoice


def release_line(*, invoice_id, line_id, by) -> Invoice:
    """End a line's hold: the invoice's next payment pays it."""
    _require_finance(by)
    with transaction.atomic():
        invoice, line = _locked_line(invoice_id, line_id, "released")
        if not line.is_held:
            raise Conflict(f"Package {line.package_id}'s line is not held.")
        line.held_at, line.hold_reason = None, ""
        _change_hold(invoice, line, by=by, held=-line.amount)
    return invoice


def _locked_line(invoice_id, line_id, done):
    """The invoice and its line, both rows locked (the invoice first, as every payment
    does), if a line of it may still be held or released; InvoiceLine.DoesNotExist when the
    line is not the invoice's."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    line = InvoiceLine.objects.select_for_update().get(pk=line_id, invoice=invoice)
    if invoice.status not in LINE_HOLD_STATUSES:
        raise Conflict(
            f"Invoice {invoice.reference} is {invoice.get_status_display().lower()}: "
            f"its lines cannot be {done}."
        )
    return invoice, line


def _change_hold(invoice, line, *, by, held):
    line_before, invoice_before = audit.snapshot(line), audit.snapshot(invoice)
    line.save(update_fields=["held_at", "hold_reason"])
    invoice.held_total += held
    invoice.save(update_fields=["held_total"])
    audit.record(by=by, obj=line, changes=audit.changed(line_before, line))
    audit.record(by=by, obj=invoice, changes=audit.changed(invoice_before, invoice))


def add_credit_note(*, invoice_id, by, amount: Decimal, reason: str) -> CreditNote:
    """Money the provider owes back on a paid invoice, at most what was paid on it less its
    earlier credit notes; the next payment run nets it."""
    _require_finance(by)
    reason = _reason(reason, "Say what the credit note is for: the provider sees it.")
    if amount is None or amount <= 0:
        raise ValidationError({"amount": ["Enter an amount more than 0.00."]})
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.status != InvoiceStatus.PAID:
            raise Conflict(
                f"Invoice {invoice.reference} is {invoice.get_status_display().lower()}: "
                "a credit note is for a paid invoice."
            )
        credited = invoice.credit_notes.aggregate(sum=Sum("amount"))["sum"] or ZERO
        left = _paid_so_far([invoice.pk])[invoice.pk] - credited
        if amount > left:
            raise ValidationError(
                {"amount": [f"At most {left:,.2f}: what was paid less earlier credit notes."]}
            )
        note = CreditNote.objects.create(
            invoice=invoice, amount=amount, reason=reason, created_at=clock.now(), created_by=by
        )
        audit.record(by=by, obj=note, action=audit.CREATE, changes=audit.created(note))
    return note


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


def run_payments(*, by, invoice_ids, paid_on: datetime.date, reference: str) -> PaymentRun:
    """Pay approved invoices together, all or none: one run, one reference, rows locked. Each
    is paid what is left to pay; the run also takes every credit note no run has taken,
    netted from its total.

    Any invoice that is not approved (paid meanwhile, disputed) or has nothing left to pay
    is a Conflict naming it, and nothing is paid.
    """
    _require_finance(by)
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
        paid = _paid_so_far(ids)
        due = {invoice.pk: outstanding(invoice, paid[invoice.pk]) for invoice in invoices}
        _check_payable(invoices, due, paid_on)
        credits = list(
            CreditNote.objects.select_for_update().filter(payment_run__isnull=True).order_by("pk")
        )
        total = sum(due.values(), ZERO) - sum((note.amount for note in credits), ZERO)
        run = _new_payment_run(by, reference, paid_on, total)
        audit.record(by=by, obj=run, action=audit.CREATE, changes=audit.created(run))
        CreditNote.objects.filter(pk__in=[note.pk for note in credits]).update(payment_run=run)
        payments = [
            _pay(invoice, due[invoice.pk], by=by, paid_on=paid_on, reference=reference, run=run)
            for invoice in invoices
        ]
        # Last, in one upsert: every run locks its zones' and days' rows in the same order.
        rollup.apply_payment([payment.pk for payment in payments])
    return run


def _new_payment_run(by, reference, paid_on, total) -> PaymentRun:
    """The run, or a ValidationError on `reference` if it is taken. The unique constraint
    decides, not a look-up first: two runs started at once under one reference (each on
    other invoices, so neither waits for the other's locks) would both pass a look-up."""
    try:
        with transaction.atomic():
            return PaymentRun.objects.create(
                reference=reference,
                paid_on=paid_on,
                total=total,
                created_at=clock.now(),
                created_by=by,
            )
    except IntegrityError:
        raise ValidationError({"reference": [f"Payment run {reference} already exists."]}) from None


def _check_payable(invoices, due, paid_on):
    not_approved = [invoice for invoice in invoices if invoice.status != InvoiceStatus.APPROVED]
    if not_approved:
        names = ", ".join(f"{i.reference} ({i.get_status_display().lower()})" for i in not_approved)
        raise Conflict(f"Only approved invoices can be paid in a run: {names}. Nothing was paid.")
    empty = [i.reference for i in invoices if not _payable(i, due[i.pk])]
    if empty:
        raise Conflict(f"Nothing is left to pay on {', '.join(empty)}. Nothing was paid.")
    early = [invoice.reference for invoice in invoices if paid_on < invoice.received_on]
    if early:
        raise ValidationError({"paid_on": [f"Paid before it was received: {', '.join(early)}."]})
