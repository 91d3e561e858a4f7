"""Warning finance before the 28-day payment deadline, and when it has passed.

The check looks at state, not at events: every unpaid invoice that is due soon
or overdue *now* and whose warning for that status was never sent. So a run
that was missed (beat down for two days) is caught up by the next one, and a
second beat or a repeated run sends nothing twice: the warning is recorded
under a unique (invoice, status) constraint in the same transaction as the
email is handed over, and only the run whose insert succeeds sends it.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User

from ..models import DeadlineNotification, DeadlineStatus, Invoice

logger = logging.getLogger(__name__)

WARNED_STATUSES = (DeadlineStatus.DUE_SOON, DeadlineStatus.OVERDUE)


def check_invoice_deadlines() -> int:
    """Email finance about each unpaid invoice newly due soon or overdue; the number sent."""
    today = timezone.localdate()
    recipients = finance_recipients()
    warned = DeadlineNotification.objects.filter(
        invoice_id=OuterRef("pk"), status=OuterRef("deadline_status")
    )
    invoices = (
        Invoice.objects.unpaid()
        .with_deadline(today)
        .filter(deadline_status__in=WARNED_STATUSES)
        .exclude(Exists(warned))
        .select_related("provider")
        .order_by("due_by", "pk")
    )
    if not recipients:
        if invoices.exists():
            logger.warning("Invoice deadlines need attention but no finance user has an email.")
        return 0
    return sum(1 for invoice in invoices if _warn(invoice, recipients))


def finance_recipients() -> list[str]:
    return sorted(
        User.objects.filter(role=Role.FINANCE, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def _warn(invoice, recipients) -> bool:
    """Record and send one warning; False if another run already recorded it."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                DeadlineNotification.objects.create(
                    invoice=invoice,
                    status=invoice.deadline_status,
                    sent_at=timezone.now(),
                    recipients=", ".join(recipients),
                )
        except IntegrityError:
            return False
        # If sending fails the record is rolled back with it, and the next run tries again.
        send_mail(_subject(invoice), _body(invoice), settings.DEFAULT_FROM_EMAIL, recipients)
    return True


def _subject(invoice):
    provider = invoice.provider.name
    if invoice.deadline_status == DeadlineStatus.OVERDUE:
        return f"OVERDUE: invoice {invoice.reference} from {provider} was due {invoice.due_by:%d %b %Y}"
    days = invoice.days_left.days
    when = "Due today" if days == 0 else f"Due in {days} day{'s' if days != 1 else ''}"
    return f"{when}: invoice {invoice.reference} from {provider}, due {invoice.due_by:%d %b %Y}"


def _body(invoice):
    link = settings.SITE_URL.rstrip("/") + reverse("invoicing:detail", args=[invoice.pk])
    return (
        f"Invoice {invoice.reference} from {invoice.provider.name} for "
        f"{invoice.period_start:%d %b %Y} to {invoice.period_end:%d %b %Y}, "
        f"GBP {invoice.total}, was received on {invoice.received_on:%d %b %Y} and must be paid "
        f"by {invoice.due_by:%d %b %Y} (28 days from receipt).\n"
        f"Status: {invoice.get_status_display()}.\n\n{link}\n"
    )
