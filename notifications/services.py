"""Sending notifications: in the app at once, by email after the sender's transaction commits.

Every app that tells someone something calls `notify`. Messages carry no
personal data: a package or invoice number, a zone, hours, money, and a link
to sign in and see the rest.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from core import clock, jobs, records

from . import tasks
from .models import Notification, NotificationKind

# The email task's own retries (tasks.py) are over within a minute; after this the sweep
# sends what they did not.
UNSENT_AFTER = timedelta(minutes=5)
# Older news is left in the app: an offer's email days late would only mislead.
UNSENT_WITHIN = timedelta(days=2)
UNSENT_BATCH = 500

SUBJECTS = {
    NotificationKind.OFFER: "New care package offer",
    NotificationKind.OFFER_WITHDRAWN: "Care package offer withdrawn",
    NotificationKind.ESCALATED: "Package escalated: no eligible provider left",
    NotificationKind.FILL_OVERDUE: "Package not filled within its target",
    NotificationKind.HANDED_BACK: "Package handed back",
    NotificationKind.PACKAGE_CHANGED: "Care package changed",
    NotificationKind.REVIEW_DUE: "Package review due",
    NotificationKind.DEADLINE_DUE_SOON: "Invoice payment due soon",
    NotificationKind.DEADLINE_DUE_TODAY: "Invoice payment due today",
    NotificationKind.DEADLINE_OVERDUE: "Invoice payment OVERDUE",
}


@dataclass(frozen=True)
class News:
    """One event to tell `users` of (`notify_each`)."""

    users: Iterable
    message: str
    link: str
    event: str
    package_id: int | None = None
    invoice_id: int | None = None


def notify(
    *, kind, users, message, link, event, package_id=None, invoice_id=None
) -> list[Notification]:
    """Tell each of `users` about `event`, once: a user already told of it is not told again.

    Runs in the caller's transaction (the notification exists exactly when what it
    reports does); the emails are handed to a task once that transaction commits.
    Answers the notifications this call created.
    """
    news = News(users, message, link, event, package_id, invoice_id)
    return notify_each(kind=kind, news=[news])


def notify_each(*, kind, news: list[News]) -> list[Notification]:
    """`notify` of several events of one kind (offers sent to 50 providers), in two
    statements and one email task whatever their number. Nothing in a replay (core.records)."""
    if not records.kept():
        return []
    now = clock.now()
    rows = [
        Notification(
            recipient_id=user.pk,
            kind=kind,
            event=item.event,
            message=item.message[:300],
            link=item.link,
            package_id=item.package_id,
            invoice_id=item.invoice_id,
            created_at=now,
        )
        for item in news
        for user in item.users
    ]
    if not rows:
        return []
    # Another run telling the same event at the same moment waits on the unique index and
    # then inserts nothing, so "once per event" holds without reading first.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    told = {(row.event, row.recipient_id) for row in rows}
    created = [
        notification
        for notification in Notification.objects.filter(
            kind=kind,
            event__in={row.event for row in rows},
            recipient_id__in={row.recipient_id for row in rows},
            created_at=now,
        )
        if (notification.event, notification.recipient_id) in told
    ]
    ids = [notification.pk for notification in created]
    if ids:
        # Not jobs.after_commit: a replay, which runs queued tasks in place, sends no email.
        transaction.on_commit(lambda: jobs.send(tasks.send_notification_emails, ids), robust=True)
    return created


def send_unsent_emails() -> int:
    """Email the notifications whose email never went (its task lost with a worker, or never
    queued while the broker was down): those older than the task's own retries take, and
    recent enough to matter. Answers how many were sent; the rest wait for the next run."""
    now = clock.now()
    unsent = (
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__lt=now - UNSENT_AFTER,
            created_at__gte=now - UNSENT_WITHIN,
        )
        .exclude(recipient__email="")
        .order_by("created_at")
        .values_list("pk", flat=True)[:UNSENT_BATCH]
    )
    return send_emails(list(unsent))


def send_emails(notification_ids) -> int:
    """Email each notification not emailed yet to its recipient; answers how many were sent.

    Safe to run twice, and by two workers at once: the rows are locked while
    their emails go (a second run skips them) and marked sent afterwards. A
    failure to send leaves them unmarked, for the task's retry.
    """
    with transaction.atomic():
        due = list(
            Notification.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(pk__in=notification_ids, emailed_at__isnull=True)
            .exclude(recipient__email="")
            .select_related("recipient")
        )
        if not due:
            return 0
        sent = get_connection().send_messages([_email(n) for n in due])
        Notification.objects.filter(pk__in=[n.pk for n in due]).update(emailed_at=clock.now())
    return sent


def _email(notification) -> EmailMessage:
    return EmailMessage(
        subject=SUBJECTS[notification.kind],
        body=(
            f"{notification.message}\n\n"
            f"Sign in to see it: {settings.SITE_URL}{notification.link}\n\n"
            "This email holds no personal details: they are shown only in the service."
        ),
        to=[notification.recipient.email],
    )


def mark_read(*, notification_id, by) -> Notification:
    """Mark one of `by`'s own notifications read (already read: left as it was)."""
    Notification.objects.filter(pk=notification_id, recipient=by, read_at__isnull=True).update(
        read_at=clock.now()
    )
    return Notification.objects.get(pk=notification_id, recipient=by)


def mark_all_read(*, by) -> int:
    return Notification.objects.filter(recipient=by, read_at__isnull=True).update(
        read_at=clock.now()
    )
