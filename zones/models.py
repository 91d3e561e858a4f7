"""Zones: the geographic areas a county is split into, and how each is brokered."""

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from .postcodes import district_sort_key

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$", "Use letters, numbers, hyphens and underscores only."
)


class AllocationMode(models.TextChoices):
    ROTA = "rota", "Rota (80/20 between two providers, swapping each period)"
    CASCADE = "cascade", "Cascade (one provider at a time, in order)"
    BROADCAST = "broadcast", "Broadcast (every eligible provider at once)"


# A week: the longest response window any contract asks for (planned care
# may wait a day or more, never weeks).
MAX_WINDOW_MINUTES = 7 * 24 * 60

# Rota periods of a rota that has not offered anything yet are counted from this Monday
# (and the dashboard's and the demo's reporting periods too).
ROTATION_EPOCH = datetime.date(2024, 1, 1)


class Zone(models.Model):
    """A zone, defined by the postcode districts it covers.

    Its allocation mode decides how a package whose postcode falls in it is
    offered: to every eligible provider (broadcast), to one at a time in
    order (cascade), or by the rota's shares between a primary and a
    secondary that swap roles every `rotation_weeks` weeks.
    """

    # Left out of the audit trail (core.audit): they change on every save, or are secret.
    audit_exclude = ("created_at", "updated_at")

    code = models.CharField(
        max_length=20,
        unique=True,
        validators=[code_validator],
        error_messages={"unique": "A zone with this code already exists."},
    )
    name = models.CharField(max_length=100)
    allocation_mode = models.CharField(
        max_length=10, choices=AllocationMode.choices, default=AllocationMode.CASCADE
    )
    offer_window_minutes = models.PositiveIntegerField(
        default=240, validators=[MinValueValidator(1), MaxValueValidator(MAX_WINDOW_MINUTES)]
    )
    urgent_offer_window_minutes = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WINDOW_MINUTES)],
        help_text="Response window for urgent packages (hospital discharge, crisis).",
    )
    rotation_weeks = models.PositiveIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    rota_started_on = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="The first day of the rota's first period: the day the zone's rota first "
        "offered a package. Brokering sets it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="zone_mode_valid",
                condition=models.Q(allocation_mode__in=AllocationMode.values),
            ),
            models.CheckConstraint(
                name="zone_offer_window_positive", condition=models.Q(offer_window_minutes__gte=1)
            ),
            models.CheckConstraint(
                name="zone_urgent_window_positive",
                condition=models.Q(urgent_offer_window_minutes__gte=1),
            ),
            models.CheckConstraint(
                name="zone_rotation_weeks_positive", condition=models.Q(rotation_weeks__gte=1)
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def postcode_districts(self) -> list[str]:
        """The districts in reading order (EX2 before EX10); uses prefetched rows if loaded."""
        return sorted((d.district for d in self.districts.all()), key=district_sort_key)

    def get_additional_data(self):
        # The zone's code tags every audit entry about it, so that its page can
        # find the changes to its districts and contracts as well as its own.
        return {"zone": self.code}

    def rotation_start(self) -> datetime.date:
        """The first day of the rota's period 0, in which the contract primary leads.

        Brokering sets it to the day of the rota's first counted offer, so that
        a new rota opens with its primary taking the primary's share for a whole
        period whatever the date; until then periods run from the epoch.
        """
        return self.rota_started_on or ROTATION_EPOCH

    def rotation_period(self, on: datetime.date) -> int:
        """The number of the rota period that `on` falls in (0, 1, 2, ...)."""
        return (on - self.rotation_start()).days // (7 * self.rotation_weeks)

    def rotation_period_dates(self, period: int) -> tuple[datetime.date, datetime.date]:
        """The first and last day of rota period number `period`."""
        start = self.rotation_start() + datetime.timedelta(weeks=period * self.rotation_weeks)
        return start, start + datetime.timedelta(weeks=self.rotation_weeks, days=-1)

    def offer_window(self, urgent: bool) -> datetime.timedelta:
        minutes = self.urgent_offer_window_minutes if urgent else self.offer_window_minutes
        if urgent:
            minutes = min(minutes, self.offer_window_minutes)
        return datetime.timedelta(minutes=minutes)


class PostcodeDistrict(models.Model):
    """The outward part of a postcode (`EX2`); each belongs to at most one zone."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="districts")
    district = models.CharField(max_length=4, unique=True)

    class Meta:
        ordering = ["district"]

    def __str__(self):
        return self.district

    def get_additional_data(self):
        return {"zone": self.zone.code}
