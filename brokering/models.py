"""Offers of care packages to providers: one per provider asked in each brokering round."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from packages.models import Package
from providers.models import Provider
from zones.models import Zone


class OfferStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


class DeclineReason(models.TextChoices):
    NO_CAPACITY = "no_capacity", "No capacity"
    NOT_IN_AREA = "not_in_area", "Not in our area"
    SKILLS_NEEDED = "skills_needed", "Skills needed that we do not have"
    CALL_TIMES = "call_times", "Cannot meet the call times"
    PART = "part", "Can do part of it"
    OTHER = "other", "Other"


class WithdrawnBecause(models.TextChoices):
    TAKEN = "taken", "Taken by another provider"
    ASSIGNED = "assigned", "Assigned by a broker"
    CANCELLED = "cancelled", "Package cancelled"
    BROKER = "broker", "Withdrawn by a broker"
    REBROKERED = "rebrokered", "Package re-brokered"
    CHANGED = "changed", "Package changed"
    INELIGIBLE = "ineligible", "Provider no longer eligible"
    CAP = "cap", "Provider's weekly hours cap reached"


class Offer(models.Model):
    """A package offered to one provider in one brokering round.

    States: pending (sent, waiting until `expires_at`) -> accepted (the
    package is placed with this provider), declined (with a reason),
    expired (not answered in time: found by the sweep) or withdrawn (the
    package was taken, assigned, cancelled or re-brokered). Only a pending
    offer changes state. A provider is asked at most once per round, and at
    most one offer per round is accepted; a hand-back or a re-broker starts
    a new round.

    `rota_zone` and `rota_period` are set on the first offer of a newly
    submitted package in a rota zone: counting those sent in the current
    period is how the primary's and secondary's shares are kept exact.
    """

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="offers")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="offers")
    round = models.PositiveIntegerField(help_text="The package's brokering round when sent.")
    status = models.CharField(
        max_length=10, choices=OfferStatus.choices, default=OfferStatus.PENDING
    )
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    decline_detail = models.TextField(blank=True)
    withdrawn_because = models.CharField(
        max_length=12, choices=WithdrawnBecause.choices, blank=True
    )
    rota_zone = models.ForeignKey(
        Zone, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rota_period = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="offer_status_expiry"),
            models.Index(fields=["provider", "status"], name="offer_provider_status"),
            models.Index(fields=["package", "round", "status"], name="offer_package_round"),
            # Covering: the dashboard's provider figures read offers by time sent.
            models.Index(
                fields=["sent_at"],
                include=["provider", "status", "answered_at", "package"],
                name="offer_sent_at_covering",
            ),
            models.Index(fields=["provider", "sent_at"], name="offer_provider_sent_at"),
            # The rota counts a zone's first offers by the days of the current period.
            models.Index(
                fields=["rota_zone", "sent_at"],
                name="offer_rota_sent_at",
                condition=Q(rota_zone__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["package", "round"],
                condition=Q(status="accepted"),
                name="offer_one_accepted_per_round",
            ),
            models.UniqueConstraint(
                fields=["package", "round", "provider"], name="offer_one_per_provider_per_round"
            ),
            models.CheckConstraint(
                name="offer_status_valid", condition=Q(status__in=[s.value for s in OfferStatus])
            ),
            models.CheckConstraint(
                name="offer_expires_after_sent", condition=Q(expires_at__gt=models.F("sent_at"))
            ),
            models.CheckConstraint(
                name="offer_answered_has_time",
                condition=~Q(status__in=["accepted", "declined"]) | Q(answered_at__isnull=False),
            ),
            models.CheckConstraint(
                name="offer_declined_has_reason",
                condition=~Q(status="declined") | ~Q(decline_reason=""),
            ),
            models.CheckConstraint(
                name="offer_rota_fields_paired",
                condition=Q(rota_zone__isnull=True, rota_period__isnull=True)
                | Q(rota_zone__isnull=False, rota_period__isnull=False),
            ),
        ]

    def __str__(self):
        return f"Offer {self.pk} of package {self.package_id} to {self.provider_id}"

    @property
    def is_pending(self):
        return self.status == OfferStatus.PENDING


class Retry(models.Model):
    """When an escalated package was last offered again by brokering itself.

    An escalated package is re-tried every `retry_minutes` of its zone after the
    later of its escalation and its last re-try (and at once when a provider
    becomes eligible for it): the periodic sweep reads this, so a missed run is
    caught by the next one.
    """

    package = models.OneToOneField(
        Package, primary_key=True, on_delete=models.CASCADE, related_name="retry"
    )
    tried_at = models.DateTimeField()

    def __str__(self):
        return f"Package {self.package_id} re-tried at {self.tried_at}"
