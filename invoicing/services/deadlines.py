"""Warning finance before the 28-day payment deadline, on its last day, and when it has passed.

The check looks at state, not at events: every unpaid invoice that is due soon,
due today or overdue *now* and whose warning for that stage was never given. The
invoice keeps the last warning given (`deadline_warning`): the stages come in order, so
the check reads only the invoices whose stage is past it (`Invoice.objects.to_warn`).
So a run that was missed (beat down for two days) is caught up by the next one,
and a second beat or a repeated run warns nobody twice: the warning is recorded
under a unique (invoice, stage) constraint in the same transaction as the
notifications (in the app, and by email after commit), and only the run whose
insert succeeds sends them.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.dateformat import format as date_format

from core import clock
from notifications import recipients
from notifications.models import NotificationKind
from notifications.services import notify

from ..models import DeadlineNotification, DeadlineWarning, Invoice

logger = logging.getLogger(__name__)

KINDS = {
    DeadlineWarning.DUE_SOON: NotificationKind.DEADLINE_DUE_SOON,
    DeadlineWarning.DUE_TODAY: NotificationKind.DEADLINE_DUE_TODAY,
    DeadlineWarning.OVERDUE: NotificationKind.DEADLINE_OVERDUE,
}


def check_invoice_deadlines() -> int:
    """Warn finance of each unpaid invoice newly due soon, due today or overdue; how many."""
    users = list(recipients.finance_users())
    today = clock.today()
    # Providers by a second query of the few found: joined, the planner (which cannot
    # tell how few) would hash every provider for them.
    invoices = Invoice.objects.to_warn(today).prefetch_related("provider").order_by("due_by", "pk")
    if not users:
        if invoices.exists():
            logger.warning("Invoice deadlines need attention but there is no finance user.")
        return 0
    return sum(1 for invoice in invoices if _warn(invoice, _stage(invoice, today), users, today))


def _stage(invoice, today) -> DeadlineWarning:
    """The warning an unpaid invoice due within the week is at: due soon, due today, overdue.
    Worked out here, not in SQL: building the query's expressions cost more than running it."""
    if invoice.due_by < today:
        return DeadlineWarning.OVERDUE
    if invoice.due_by == today:
        return DeadlineWarning.DUE_TODAY
    return DeadlineWarning.DUE_SOON


def _warn(invoice, warning, users, today) -> bool:
    """Record the warning and notify finance; False if another run already recorded it."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                DeadlineNotification.objects.create(
                    invoice=invoice,
                    status=warning,
                    sent_at=clock.now(),
                    recipients=", ".join(sorted(user.username for user in users)),
                )
        except IntegrityError:
            return False
        # Kept on the invoice too: the next run reads it only once its next stage comes.
        Invoice.objects.filter(pk=invoice.pk).update(deadline_warning=warning)
        notify(
            kind=KINDS[warning],
            users=users,
            message=_message(invoice, warning, today),
            link=reverse("invoicing:detail", args=[invoice.pk]),
            event=f"invoice:{invoice.pk}",
            invoice_id=invoice.pk,
        )
    return True


def _message(invoice, warning, today) -> str:
    due = date_format(invoice.due_by, settings.DATE_FORMAT)
    what = f"invoice {invoice.reference} from {invoice.provider.name}, £{invoice.total:,}"
    if warning == DeadlineWarning.OVERDUE:
        return f"OVERDUE: {what}, was due {due} (28 days from receipt). Pay it now."
    days = (invoice.due_by - today).days
    when = "Due today" if days == 0 else f"Due in {days} day{'s' if days != 1 else ''}"
    return f"{when}: {what}, must be paid by {due} (28 days from receipt)."
