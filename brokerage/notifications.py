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
    text = (
        f"New offer: package {package.pk}, {package.weekly_hours:g} hours a week in "
        f"{package.zone.name}, starting {package.start_date:%d %b %Y}. Answer by "
        f"{timezone.localtime(offers[0].expires_at):%d %b %Y %H:%M}."
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
    """Email each notification to its recipient; answers how many were sent."""
    emails = [
        EmailMessage(
            subject=SUBJECTS[n.kind],
            body=(
                f"{n.text}\n\nSign in to see it: {settings.SITE_URL}{n.link}\n\n"
                "This email holds no personal details: they are shown only in the service."
            ),
            to=[n.recipient.email],
        )
        for n in Notification.objects.filter(pk__in=notification_ids).select_related("recipient")
        if n.recipient.email
    ]
    if not emails:
        return 0
    return get_connection().send_messages(emails)
