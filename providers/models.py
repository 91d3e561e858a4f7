"""Care providers, their contracts in zones and the spare capacity they declare."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core import clock
from zones.models import Zone, code_validator


class CqcRating(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"
    NOT_RATED = "not_rated", "Not yet rated"


ELIGIBLE_RATINGS = (CqcRating.OUTSTANDING, CqcRating.GOOD)


class ProviderStatus(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    EXITED = "exited", "Exited"


class Lot(models.IntegerChoices):
    FRAMEWORK = 1, "Lot 1 (framework)"
    BACKUP = 2, "Lot 2 (backup)"


class Provider(models.Model):
    """A home care agency registered with the CQC.

    Only an active provider rated Outstanding or Good is offered work. A lot-2
    (backup) provider may have a weekly hours cap. Its contracted base rates
    are Rates (over time, per zone); the weekend and bank holiday uplifts and
    the pay rule's tolerance and rounding are its contract's terms for invoices.
    """

    # Left out of the audit trail (core.audit): they change on every save, or are secret.
    audit_exclude = ("created_at", "updated_at")

    code = models.CharField(
        max_length=20,
        unique=True,
        validators=[code_validator],
        error_messages={"unique": "A provider with this code already exists."},
    )
    name = models.CharField(max_length=200)
    cqc_location_id = models.CharField("CQC location ID", max_length=20, blank=True)
    cqc_rating = models.CharField(
        "CQC rating", max_length=24, choices=CqcRating.choices, default=CqcRating.NOT_RATED
    )
    status = models.CharField(
        max_length=12, choices=ProviderStatus.choices, default=ProviderStatus.ONBOARDING
    )
    lot = models.PositiveSmallIntegerField(choices=Lot.choices, default=Lot.FRAMEWORK)
    weekly_hours_cap = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    weekend_uplift_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    bank_holiday_uplift_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    pay_tolerance_minutes = models.PositiveSmallIntegerField(
        default=5, help_text="Delivered within this many minutes short of planned pays as planned."
    )
    pay_rounding_minutes = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1)],
        help_text="Otherwise delivered time is rounded down to this many minutes.",
    )
    contact_email = models.EmailField(blank=True)
    supplier_reference = models.CharField(
        max_length=40,
        blank=True,
        help_text="The provider's id in the council's finance system, as it is written there.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["status", "cqc_rating"]),
            models.Index(fields=["name", "code"], name="provider_listed"),
        ]
        constraints = [
            models.CheckConstraint(
                name="provider_cap_not_negative",
                condition=models.Q(weekly_hours_cap__isnull=True)
                | models.Q(weekly_hours_cap__gte=0),
            ),
            models.CheckConstraint(name="provider_lot_1_or_2", condition=models.Q(lot__in=[1, 2])),
            models.CheckConstraint(
                name="provider_rating_valid", condition=models.Q(cqc_rating__in=CqcRating.values)
            ),
            models.CheckConstraint(
                name="provider_status_valid", condition=models.Q(status__in=ProviderStatus.values)
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def get_additional_data(self):
        # Tags the audit trail so the provider's page finds its contracts and capacity too.
        return {"provider": self.code}

    @property
    def is_eligible(self):
        return self.status == ProviderStatus.ACTIVE and self.cqc_rating in ELIGIBLE_RATINGS


class ContractRole(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    FRAMEWORK = "framework", "Framework"
    # Devon's "Tier 3": asked only once every other eligible provider in the zone has been.
    RESERVE = "reserve", "Reserve"


class Rate(models.Model):
    """A provider's contracted base rate for an hour of care, from a date on.

    `zone` null: the rate in every zone; a zone's own rate comes before it there (Devon's
    band 1 urban and band 2 rural rates for one provider working in both). A rate is in
    force from `effective_from` until the next one of the same provider and zone starts;
    rates are added, never changed in the past, so a period already priced stays so
    (providers.rates reads them).
    """

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="rates")
    zone = models.ForeignKey(
        Zone, on_delete=models.CASCADE, null=True, blank=True, related_name="rates"
    )
    hourly_rate = models.DecimalField(
        max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    effective_from = models.DateField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["provider__code", "zone__code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "zone", "effective_from"], name="rate_one_per_zone_and_day"
            ),
            models.UniqueConstraint(
                fields=["provider", "effective_from"],
                condition=models.Q(zone__isnull=True),
                name="rate_one_every_zone_per_day",
            ),
            models.CheckConstraint(
                name="rate_not_negative", condition=models.Q(hourly_rate__gte=0)
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "effective_from"], name="rate_provider_from"),
            models.Index(fields=["effective_from"], name="rate_from"),
        ]

    def __str__(self):
        where = self.zone.code if self.zone_id else "every zone"
        return f"{self.provider.code} {where} from {self.effective_from}: {self.hourly_rate}"

    def get_additional_data(self):
        return {"provider": self.provider.code}


class Contract(models.Model):
    """A provider's place in a zone: its role there, in a rota its share, its dates and
    the hours a week the commissioner guarantees it there.

    A zone has at most one primary and one secondary; in a rota zone their
    shares add up to 100 (80/20 in Bury). Framework providers are offered
    work after them, in cascade order, and reserve providers only once
    every other eligible provider in the zone has been asked. A contract is in
    force from `starts_on` to `ends_on` (open-ended when null): outside it its
    provider is offered no work in the zone. Guaranteed hours (Devon's Guaranteed Hours programme):
    within its role a provider whose placed packages in the zone do not yet fill
    them is asked first, and a week's shortfall of payable hours is paid as a
    `guarantee` invoice line.
    """

    # Left out of the audit trail (core.audit): they change on every save, or are secret.
    audit_exclude = ("created_at",)

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="contracts")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="contracts")
    role = models.CharField(
        max_length=10, choices=ContractRole.choices, default=ContractRole.FRAMEWORK
    )
    share_percent = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    starts_on = models.DateField(default=clock.today)
    ends_on = models.DateField(null=True, blank=True)
    guaranteed_hours = models.DecimalField(
        "guaranteed hours a week",
        max_digits=7,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["zone__code", "role", "provider__name"]
        indexes = [
            # The few contracts that guarantee hours, read by the spend page and by each
            # invoice's guarantee lines: a national market's 20,000 contracts were read
            # to find none (2 ms a page).
            models.Index(
                fields=["provider", "zone"],
                condition=models.Q(guaranteed_hours__gt=0),
                name="contract_guaranteed",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="contract_ends_after_start",
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
            ),
            models.CheckConstraint(
                name="contract_guarantee_not_negative", condition=models.Q(guaranteed_hours__gte=0)
            ),
            models.UniqueConstraint(fields=["zone", "provider"], name="contract_one_per_zone"),
            models.UniqueConstraint(
                fields=["zone"],
                condition=models.Q(role="primary"),
                name="contract_one_primary_per_zone",
            ),
            models.UniqueConstraint(
                fields=["zone"],
                condition=models.Q(role="secondary"),
                name="contract_one_secondary_per_zone",
            ),
            models.CheckConstraint(
                name="contract_role_valid", condition=models.Q(role__in=ContractRole.values)
            ),
            models.CheckConstraint(
                name="contract_share_0_100",
                condition=models.Q(share_percent__gte=0, share_percent__lte=100),
            ),
        ]

    def __str__(self):
        return f"{self.provider.code} in {self.zone.code} ({self.role})"

    def get_additional_data(self):
        return {"zone": self.zone.code, "provider": self.provider.code}

    def in_force_on(self, day) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    @property
    def not_started(self) -> bool:
        return self.starts_on > clock.today()

    @property
    def has_ended(self) -> bool:
        return self.ends_on is not None and self.ends_on < clock.today()


def contracts_in_force(day) -> models.Q:
    """Contracts in force on `day` (a filter on Contract)."""
    return models.Q(starts_on__lte=day) & (
        models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=day)
    )


class Capacity(models.Model):
    """Spare hours a provider declares it can take on in a zone in a week."""

    # Left out of the audit trail (core.audit): they change on every save, or are secret.
    audit_exclude = ("declared_at",)

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="capacity")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="capacity")
    week_start = models.DateField(help_text="The Monday the week starts on.")
    hours = models.DecimalField(
        max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    declared_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-week_start", "zone__code"]
        verbose_name_plural = "capacity"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "zone", "week_start"], name="capacity_one_per_week"
            ),
            models.CheckConstraint(
                name="capacity_hours_not_negative", condition=models.Q(hours__gte=0)
            ),
        ]
        indexes = [
            models.Index(fields=["zone", "week_start"]),
            # The list, newest week first (then by zone and provider within the week).
            models.Index(fields=["week_start"], name="capacity_week"),
        ]

    def __str__(self):
        return f"{self.provider.code} {self.zone.code} w/c {self.week_start}: {self.hours}h"

    def get_additional_data(self):
        # Not tagged with the zone: declarations would crowd out the zone's own changes.
        return {"provider": self.provider.code}
