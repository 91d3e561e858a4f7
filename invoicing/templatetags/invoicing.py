"""Display helpers for invoicing pages: GOV.UK tag colours for statuses, days left, money."""

from decimal import Decimal

from django import template

from core.formats import pounds_text
from invoicing.models import DeadlineStatus, InvoiceStatus

register = template.Library()

DEADLINE_TAGS = {
    DeadlineStatus.OK: ("govuk-tag--blue", DeadlineStatus.OK.label),
    DeadlineStatus.DUE_SOON: ("govuk-tag--yellow", DeadlineStatus.DUE_SOON.label),
    DeadlineStatus.OVERDUE: ("govuk-tag--red", DeadlineStatus.OVERDUE.label),
    DeadlineStatus.MET: ("govuk-tag--green", DeadlineStatus.MET.label),
    DeadlineStatus.LATE: ("govuk-tag--orange", DeadlineStatus.LATE.label),
}
STATUS_TAGS = {
    InvoiceStatus.RECEIVED: "govuk-tag--grey",
    InvoiceStatus.APPROVED: "govuk-tag--turquoise",
    InvoiceStatus.DISPUTED: "govuk-tag--orange",
    InvoiceStatus.PAID: "govuk-tag--green",
}


@register.inclusion_tag("invoicing/includes/tag.html")
def deadline_tag(status):
    css, label = DEADLINE_TAGS.get(status, ("govuk-tag--grey", status))
    return {"css": css, "label": label}


@register.inclusion_tag("invoicing/includes/tag.html")
def invoice_deadline_tag(invoice):
    """The deadline tag, red on the last day as once overdue: 'Due today' must not read like
    '4 days left'."""
    if not invoice.paid_on and invoice.days_left.days == 0:
        return {"css": "govuk-tag--red", "label": "Due today"}
    return deadline_tag(invoice.deadline_status)


@register.inclusion_tag("invoicing/includes/tag.html")
def invoice_status_tag(invoice):
    return {"css": STATUS_TAGS.get(invoice.status, ""), "label": invoice.get_status_display()}


@register.filter
def days_left(invoice):
    """'12 days left', 'Due today', '3 days overdue'; blank once paid."""
    if invoice.paid_on:
        return ""
    days = invoice.days_left.days
    if days == 0:
        return "Due today"
    if days > 0:
        return f"{days} day{'s' if days != 1 else ''} left"
    return f"{-days} day{'s' if days != -1 else ''} overdue"


@register.filter
def pounds(amount):
    """£1,234.56: finance reads six-figure totals at a glance (exports keep plain decimals)."""
    if amount is not None and Decimal(amount) < 0:
        return "-" + pounds_text(-Decimal(amount))  # a credit note
    return pounds_text(amount)


@register.filter
def minutes_as_hours(minutes):
    """Carer minutes as h:mm (95 -> 1:35)."""
    if minutes is None:
        return ""
    return f"{minutes // 60}:{minutes % 60:02d}"


@register.filter
def minus(number, other):
    return number - (other or 0)
