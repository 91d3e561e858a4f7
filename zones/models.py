"""Zones: the geographic areas a county is split into, and how each is brokered."""

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from .postcodes import district_sort_key

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$", "Use letters, numbers, hyphens and underscores only."
)


class AllocationMode(models.TextChoices):
    ROTA = "rota", "Rota (two providers share the first offers, swapping each period)"
    CASCADE = "cascade", "Cascade (one provider at a time, in order)"
    BROADCAST = "broadcast", "Broadcast (every eligible provider at once)"


# A week: the longest response window any contract asks for (planned care
# may wait a day or more, never weeks).
MAX_WINDOW_MINUTES = 7 * 24 * 60

# More providers at once than any contract asks for would be a broadcast.
MAX_URGENT_WAVE = 50
# A fill target beyond four weeks is not a target.
MAX_TARGET_MINUTES = 28 * 24 * 60

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
    retry_minutes = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(MAX_WINDOW_MINUTES)],
        help_text="How often an escalated package is offered again, when nobody new appeared.",
    )
    urgent_wave = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_URGENT_WAVE)],
        help_text="Cascade and rota: how many providers an urgent package is offered to at once.",
    )
    offer_hours_start = models.TimeField(null=True, blank=True)
    offer_hours_end = models.TimeField(null=True, blank=True)
    review_after_days = models.PositiveIntegerField(
        default=42,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="A package's first review falls due this many days after it starts.",
    )
    fill_target_urgent_minutes = models.PositiveIntegerField(
        default=90, validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)]
    )
    fill_target_standard_minutes = models.PositiveIntegerField(
        default=240, validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)]
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
            models.CheckConstraint(
                name="zone_review_after_days_positive", condition=models.Q(review_after_days__gte=1)
            ),
            models.CheckConstraint(
                name="zone_retry_at_least_5", condition=models.Q(retry_minutes__gte=5)
            ),
            models.CheckConstraint(
                name="zone_urgent_wave_positive", condition=models.Q(urgent_wave__gte=1)
            ),
            models.CheckConstraint(
                name="zone_offer_hours_paired_and_ordered",
                condition=models.Q(offer_hours_start__isnull=True, offer_hours_end__isnull=True)
                | models.Q(offer_hours_end__gt=models.F("offer_hours_start")),
            ),
            models.CheckConstraint(
                name="zone_fill_targets_positive",
                condition=models.Q(
                    fill_target_urgent_minutes__gte=1, fill_target_standard_minutes__gte=1
                ),
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

    @property
    def offer_hours(self) -> dict | None:
        """The hours of the day (UK) in which offer windows run, or None: around the clock."""
        if self.offer_hours_start is None:
            return None
        return {"start": self.offer_hours_start, "end": self.offer_hours_end}

    def offer_expires_at(self, sent_at: datetime.datetime, urgent: bool) -> datetime.datetime:
        """When an offer sent at `sent_at` expires: its window counts only minutes inside the
        zone's offer hours (UK time), so an evening offer runs on into the next morning."""
        window = self.offer_window(urgent)
        if self.offer_hours_start is None:
            return sent_at + window
        day, moment = timezone.localtime(sent_at).date(), sent_at
        while True:
            # Arithmetic in UTC: an aware local time plus a timedelta ignores a clock change.
            opens = _uk_time(day, self.offer_hours_start)
            closes = _uk_time(day, self.offer_hours_end)
            begins = max(moment, opens)
            if begins < closes:
                if begins + window <= closes:
                    return begins + window
                window -= closes - begins
            day += datetime.timedelta(days=1)
            moment = _uk_time(day, datetime.time())

    def fill_target(self, urgent: bool) -> datetime.timedelta:
        """How soon a package should be placed after it was submitted."""
        minutes = self.fill_target_urgent_minutes if urgent else self.fill_target_standard_minutes
        return datetime.timedelta(minutes=minutes)

    @property
    def fill_targets(self) -> dict:
        return {
            "urgent": self.fill_target_urgent_minutes,
            "standard": self.fill_target_standard_minutes,
        }

    @property
    def neighbour_codes(self) -> list[str]:
        """The neighbours' codes in the order brokering asks them (prefetched rows if loaded)."""
        links = sorted(self.neighbour_links.all(), key=lambda link: link.position)
        return [link.neighbour.code for link in links]


def _uk_time(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """`time` on `day` in the UK, as UTC."""
    return timezone.make_aware(datetime.datetime.combine(day, time)).astimezone(datetime.UTC)


class Neighbour(models.Model):
    """A zone whose providers a zone's packages are offered to once the zone's own are used up
    (cross-border working), in the order of `position`. Not symmetric: A may list B alone."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="neighbour_links")
    neighbour = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["zone", "position"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "neighbour"], name="neighbour_once"),
            models.UniqueConstraint(fields=["zone", "position"], name="neighbour_position_once"),
            models.CheckConstraint(
                name="neighbour_not_itself", condition=~models.Q(zone=models.F("neighbour"))
            ),
        ]

    def __str__(self):
        return f"{self.neighbour_id} neighbours {self.zone_id}"

    def get_additional_data(self):
        return {"zone": self.zone.code}


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
