"""Who hears about what: providers' users about new offers, brokers about escalations.

Each message is an in-app Notification written in the brokering transaction
and an email sent by a task once that transaction commits. Neither carries
personal data: the package number, zone and hours, and a link to sign in.
"""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from accounts.models import Role, User

from . import tasks
from .models import Notification, NotificationKind

SUBJECTS = {
    NotificationKind.OFFER: "New care package offer",
    NotificationKind.ESCALATED: "Package escalated: no eligible provider left",
}


def notify_offers(package, offers):
    """Tell every user of each offered provider that an offer is waiting."""
    by_provider = {offer.provider_id: offer for offer in offers}
    recipients = User.objects.filter(
        role=Role.PROVIDER, is_active=True, provider_id__in=by_provider
    ).only("pk", "provider_id")
    starts = date_format(package.start_date, settings.DATE_FORMAT)
    answer_by = date_format(timezone.localtime(offers[0].expires_at), settings.DATETIME_FORMAT)
    text = (
        f"New offer: package {package.pk}, {package.weekly_hours:g} hours a week in "
        f"{package.zone.name}, starting {starts}. Answer by {answer_by}."
    )
    _notify(
        NotificationKind.OFFER,
        [
            (user, text, reverse("brokerage:portal_offer", args=[by_provider[user.provider_id].pk]))
            for user in recipients
        ],
    )


def notify_escalated(package):
    """Tell the brokers working in the package's zone that a broker must act."""
    brokers = (
        User.objects.filter(role=Role.BROKER, is_active=True)
        .filter(Q(zones__isnull=True) | Q(zones=package.zone_id))
        .distinct()
        .only("pk")
    )
    text = (
        f"Package {package.pk} in {package.zone.name} ({package.weekly_hours:g} hours a week) "
        "has no eligible provider left: place it by hand or re-broker it."
    )
    link = reverse("packages:detail", args=[package.pk])
    _notify(NotificationKind.ESCALATED, [(user, text, link) for user in brokers])


def _notify(kind, messages):
    now = timezone.now()
    created = Notification.objects.bulk_create(
        Notification(recipient=user, kind=kind, text=text, link=link, created_at=now)
        for user, text, link in messages
    )
    if created:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: tasks.send_notification_emails.delay(ids))


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
        Notification.objects.filter(pk__in=[n.pk for n in due]).update(emailed_at=timezone.now())
    return sent


def _email(notification) -> EmailMessage:
    return EmailMessage(
        subject=SUBJECTS[notification.kind],
        body=(
            f"{notification.text}\n\nSign in to see it: {settings.SITE_URL}{notification.link}\n\n"
            "This email holds no personal details: they are shown only in the service."
        ),
        to=[notification.recipient.email],
    )
