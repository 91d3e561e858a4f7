"""In-app notifications: a message for one user, also emailed once, never with personal data."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class NotificationKind(models.TextChoices):
    OFFER = "offer", "New offer"
    OFFER_WITHDRAWN = "offer_withdrawn", "Offer withdrawn"
    ESCALATED = "escalated", "Package escalated"
    FILL_OVERDUE = "fill_overdue", "Package not filled in time"
    HANDED_BACK = "handed_back", "Package handed back"
    PACKAGE_CHANGED = "package_changed", "Package changed"
    REVIEW_DUE = "review_due", "Review due"
    DEADLINE_DUE_SOON = "deadline_due_soon", "Payment due soon"
    DEADLINE_DUE_TODAY = "deadline_due_today", "Payment due today"
    DEADLINE_OVERDUE = "deadline_overdue", "Payment overdue"


class Notification(models.Model):
    """A message for one user in the app, and by email where the user has an address.

    Sent once per event: `event` names what happened ("invoice:12", "package:7:round:2"),
    and a user has at most one notification of a kind for an event, however often the
    job that noticed it runs. `emailed_at` is set once its email has gone, so a retried
    or repeated email task never sends it twice; one still unset is sent by the sweep.

    `package_id` and `invoice_id` are plain ids, not foreign keys: the apps that send
    notifications sit above this one and it knows none of their models.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    event = models.CharField(max_length=100, help_text="What happened, once per recipient.")
    message = models.CharField(max_length=300)
    link = models.CharField(max_length=200, help_text="A path within the service.")
    package_id = models.PositiveBigIntegerField(null=True, blank=True)
    invoice_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "created_at"], name="notification_recipient"),
            models.Index(
                fields=["recipient"], name="notification_unread", condition=Q(read_at__isnull=True)
            ),
            # The email sweep's look for what was never emailed.
            models.Index(
                fields=["created_at"],
                name="notification_unemailed",
                condition=Q(emailed_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "event"], name="notification_once_per_event"
            ),
            models.CheckConstraint(
                name="notification_kind_valid",
                condition=Q(kind__in=[kind.value for kind in NotificationKind]),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for user {self.recipient_id}"

    @property
    def read(self) -> bool:
        return self.read_at is not None
