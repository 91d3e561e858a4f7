"""People who need care, their care packages, planned visits and timeline.

This app knows nothing of offers: when a package is submitted or handed
back it sends a signal (packages.signals) and brokering reacts.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce

from core import clock
from core.indexes import PrefixSearchIndex
from providers.models import Provider
from zones.models import Zone

from .nhs import spaced_nhs_number

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# A package's last day of care, the last day there is while it is still in care: "in
# care on or after a day" is then one range of the index `package_in_care`, where
# "ended on or after it, or not ended" would read every package ever placed.
CARE_UNTIL = Coalesce("ended_on", models.Value(datetime.date.max))


# What identifies a person: what a provider may see only once the package is placed with it.
PERSON_IDENTITY = (
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "address_line",
    "postcode",
)
# How to reach the person and get in: taken on the referral call, shown to a provider only
# once the package is placed with it (like their identity), and kept with their record.
PERSON_CONTACT = ("phone", "next_of_kin", "access_notes")


class Person(models.Model):
    """Someone who receives care, identified by NHS number.

    Special category data: a provider sees these fields only once a package
    of this person's is placed with it, and every view is logged
    (PersonAccess).
    """

    # Left out of the audit trail (core.audit): they change on every save, or are secret.
    audit_exclude = ("created_at", "updated_at")

    nhs_number = models.CharField(max_length=10, unique=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    address_line = models.CharField(max_length=255)
    postcode = models.CharField(max_length=8, help_text="Normalised, e.g. EX2 4QD.")
    phone = models.CharField(max_length=30, blank=True)
    next_of_kin = models.JSONField(
        null=True,
        blank=True,
        help_text='Who to call: as given, a text or {"name", "relationship", "phone"}.',
    )
    access_notes = models.TextField(
        blank=True, help_text="How carers get in: a key safe and its code, a door to use."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name_plural = "people"
        indexes = [
            # Search: a family name from its start, whatever its case (core.indexes), and a postcode.
            PrefixSearchIndex(field_name="family_name", name="person_family_name_search"),
            models.Index(fields=["postcode"], name="person_postcode"),
        ]

    def __str__(self):
        return f"Person {self.pk}"

    @property
    def full_name(self):
        return f"{self.given_name} {self.family_name}"

    @property
    def postcode_district(self):
        return self.postcode.split(" ")[0]

    @property
    def nhs_number_display(self):
        return spaced_nhs_number(self.nhs_number)

    @property
    def next_of_kin_text(self) -> str:
        """Next of kin as people write it: "Jane Smith (daughter), 07700 900123"."""
        kin = self.next_of_kin
        if not isinstance(kin, dict):
            return kin or ""
        name = " ".join(
            filter(None, [kin.get("name"), kin.get("relationship") and f"({kin['relationship']})"])
        )
        return ", ".join(filter(None, [name, kin.get("phone")]))


class Source(models.TextChoices):
    HOSPITAL_DISCHARGE = "hospital_discharge", "Hospital discharge"
    COMMUNITY = "community", "Community"
    REABLEMENT = "reablement", "Reablement"
    REVIEW = "review", "Review"


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    STANDARD = "standard", "Standard"


# The worklist's order, urgent first, then the longest waiting (since submit or hand-back):
# one definition for its query and for the index that serves it (`package_worklist`).
URGENCY = models.Case(models.When(priority=Priority.URGENT, then=0), default=1)
WAITING_FROM = Coalesce("waiting_since", "submitted_at", "created_at")


class PackageStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open (unfilled)"
    PLACED = "placed", "Placed"
    ENDED = "ended", "Ended"
    CANCELLED = "cancelled", "Cancelled"


# Packages brokering looks for a provider for: open, or handed back with notice and nobody
# yet to follow (the query behind `Package.seeking_provider`).
SEEKING_PROVIDER = models.Q(status=PackageStatus.OPEN) | models.Q(
    status=PackageStatus.PLACED, handed_back_until__isnull=False, next_provider__isnull=True
)


# The package lifecycle, in one place: action -> (statuses it may start from, status it leads to).
TRANSITIONS = {
    "submit": ({PackageStatus.DRAFT}, PackageStatus.OPEN),
    "cancel": ({PackageStatus.DRAFT, PackageStatus.OPEN}, PackageStatus.CANCELLED),
    "place": ({PackageStatus.OPEN}, PackageStatus.PLACED),
    "hand_back": ({PackageStatus.PLACED}, PackageStatus.OPEN),
    "end": ({PackageStatus.PLACED}, PackageStatus.ENDED),
}


class Package(models.Model):
    """A care package: the visits a person needs, in the zone of their postcode.

    States: draft (being recorded) -> open (submitted, unfilled: brokering
    looks for a provider) -> placed (a provider accepted or a broker
    assigned it) -> ended. A placed package handed back by its provider is
    open again; draft and open packages can be cancelled. `escalated` marks
    an open package for which no eligible provider is left. Each submit or
    hand-back starts a new `brokering_round`.

    Its visits come in versions (PackageVersion): the first from the start,
    each change from a date; `weekly_hours` holds the hours of the version in
    force today, which `services.bring_changes_into_force` keeps so as the
    days pass. Who cares for it, from when until when, is in its placements
    (Placement). A provider handing it back with notice keeps it `placed`
    until `handed_back_until` (its last day) while brokering finds the next
    one, `next_provider` once someone accepts.
    """

    # Left out of the audit trail (core.audit): they change on every save, or are secret.
    audit_exclude = ("created_at", "updated_at")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="packages")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="packages")
    source = models.CharField(max_length=20, choices=Source.choices)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.STANDARD)
    status = models.CharField(
        max_length=10, choices=PackageStatus.choices, default=PackageStatus.DRAFT
    )
    start_date = models.DateField()
    hospital_ready_on = models.DateField(
        null=True,
        blank=True,
        help_text="For a hospital discharge: the day the person is ready to leave.",
    )
    needs = models.TextField(
        blank=True, help_text="Care needs and skills required, without identifying details."
    )
    # Taken on the referral call; like the person's contact details, a provider sees them
    # only once the package is placed with it.
    referrer_name = models.CharField(max_length=200, blank=True)
    referrer_organisation = models.CharField(max_length=200, blank=True)
    referrer_phone = models.CharField(max_length=30, blank=True)
    preferences = models.TextField(
        blank=True,
        help_text="What matters to the person about their care: times, carers, language.",
    )
    goals = models.JSONField(
        default=list, blank=True, help_text="The outcomes it aims at (Goal), each once."
    )
    weekly_hours = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0"))
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="packages"
    )
    handed_back_until = models.DateField(
        null=True,
        blank=True,
        help_text="Handed back with notice: the current provider's last day of care.",
    )
    next_provider = models.ForeignKey(
        Provider,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Handed back with notice: who takes over the day after.",
    )
    review_due_on = models.DateField(
        null=True,
        blank=True,
        help_text="When its next review falls due: first its start date plus its zone's "
        "review_after_days, then as each review sets it; empty once ended.",
    )
    review_due_told_on = models.DateField(
        null=True,
        blank=True,
        help_text="The due date brokers were last told of (review_due is sent once a date).",
    )
    escalated = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    brokering_round = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the package last became open (submitted or handed back): the worklist's wait.",
    )
    placed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True, help_text="The last day of care.")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "zone"]),
            # The lists, newest first: every package, by status, in a zone, the escalated.
            models.Index(fields=["created_at"], name="package_created"),
            models.Index(fields=["status", "created_at"], name="package_status_created"),
            models.Index(fields=["zone", "created_at"], name="package_zone_created"),
            models.Index(
                fields=["created_at"], condition=models.Q(escalated=True), name="package_escalated"
            ),
            # The worklist: open packages in its order, read from the index in that order.
            models.Index(
                URGENCY,
                WAITING_FROM,
                models.F("id"),
                condition=models.Q(status="open"),
                name="package_worklist",
            ),
            models.Index(fields=["status", "priority", "submitted_at"]),
            models.Index(fields=["provider", "status"]),
            # Covering: time to fill reads only this index (PostgreSQL; SQLite ignores include).
            models.Index(
                fields=["placed_at"],
                include=["submitted_at", "zone", "priority"],
                name="package_placed_covering",
            ),
            models.Index(fields=["source", "status"]),
            # The reviews due, soonest first, and the job telling brokers of them.
            models.Index(
                fields=["review_due_on"],
                condition=models.Q(status="placed"),
                name="package_review_due",
            ),
            # The daily job and the worklist find the packages handed back with notice.
            models.Index(
                fields=["handed_back_until"],
                condition=models.Q(handed_back_until__isnull=False),
                name="package_under_notice",
            ),
            # Covering: spend reads the packages in care in a window from this index alone.
            models.Index(
                CARE_UNTIL,
                "start_date",
                include=["ended_on", "zone", "provider", "weekly_hours"],
                condition=models.Q(status__in=["placed", "ended"]),
                name="package_in_care",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="package_placed_has_provider",
                condition=~models.Q(status="placed") | models.Q(provider__isnull=False),
            ),
            models.CheckConstraint(
                name="package_open_has_no_provider",
                condition=~models.Q(status__in=["draft", "open"]) | models.Q(provider__isnull=True),
            ),
            models.CheckConstraint(
                name="package_status_valid",
                condition=models.Q(status__in=[s.value for s in PackageStatus]),
            ),
            models.CheckConstraint(
                name="package_weekly_hours_not_negative", condition=models.Q(weekly_hours__gte=0)
            ),
            models.CheckConstraint(
                name="package_notice_only_when_placed",
                condition=models.Q(handed_back_until__isnull=True) | models.Q(status="placed"),
            ),
            models.CheckConstraint(
                name="package_next_provider_only_under_notice",
                condition=models.Q(next_provider__isnull=True)
                | models.Q(handed_back_until__isnull=False),
            ),
        ]

    def __str__(self):
        return f"Package {self.pk}"

    @property
    def referrer(self) -> dict | None:
        """Who referred the person: {name, organisation, phone}, or None when not recorded."""
        referrer = {
            "name": self.referrer_name,
            "organisation": self.referrer_organisation,
            "phone": self.referrer_phone,
        }
        return referrer if any(referrer.values()) else None

    @property
    def goal_labels(self) -> list[str]:
        labels = dict(Goal.choices)
        return [labels.get(goal, goal) for goal in self.goals]

    @property
    def under_notice(self) -> bool:
        """Handed back with notice: still placed, its provider leaving after `handed_back_until`."""
        return self.handed_back_until is not None

    @property
    def first_review_due_on(self) -> datetime.date:
        """Its start date plus its zone's `review_after_days`: when its first review is due."""
        return self.start_date + datetime.timedelta(days=self.zone.review_after_days)

    @property
    def review_overdue(self) -> bool:
        return self.review_due_on is not None and self.review_due_on < clock.today()

    @property
    def takes_over_on(self) -> datetime.date | None:
        """Handed back with notice: the first day of the next provider's care."""
        return self.handed_back_until and self.handed_back_until + datetime.timedelta(days=1)

    @property
    def seeking_provider(self) -> bool:
        """Whether brokering looks for a provider: open, or under notice with nobody to follow."""
        return self.status == PackageStatus.OPEN or (
            self.under_notice and self.next_provider_id is None
        )

    @property
    def current_version(self) -> "PackageVersion":
        """The version in force today (UK): what the package's visits and hours are now."""
        return self.version_on(clock.today())

    @property
    def current_visits(self):
        return self.current_version.visits.all()

    @property
    def current_plan(self):
        """Today's flexible 4-week plan, or None."""
        return getattr(self.current_version, "flexible_plan", None)

    def version_on(self, day: datetime.date) -> "PackageVersion":
        """The version of its visits in force on `day` (its `versions` prefetched or not):
        the latest to start on or before it, the newest recorded of those starting together;
        the first before any of them starts."""
        versions = self._versions_in_force_order()
        in_force = versions[0]
        for version in versions[1:]:
            if version.effective_from <= day:
                in_force = version
        return in_force

    def _versions_in_force_order(self) -> list["PackageVersion"]:
        """Its versions in the order they take over, sorted once per prefetch: a list or
        the API reads today's version three times a package (visits, plan, hours), and a
        new `versions.all()` each time cost more than the rest of its row. Not prefetched
        (or the prefetch dropped by a write through the relation), they are read afresh."""
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("versions")
        if prefetched is None:
            return sorted(self.versions.all(), key=PackageVersion.in_force_order)
        sorted_from, versions = getattr(self, "_sorted_versions", (None, None))
        if sorted_from is not prefetched:
            versions = sorted(prefetched, key=PackageVersion.in_force_order)
            self._sorted_versions = (prefetched, versions)
        return versions

    @property
    def is_urgent(self):
        return self.priority == Priority.URGENT

    @property
    def fill_deadline(self) -> datetime.datetime | None:
        """When an open package should have been placed by: its zone's fill target from submit."""
        if self.status != PackageStatus.OPEN or self.submitted_at is None:
            return None
        return self.submitted_at + self.zone.fill_target(self.is_urgent)

    @property
    def fill_overdue(self) -> bool:
        """Open for longer than its zone's fill target for its priority since submitted."""
        deadline = self.fill_deadline
        return deadline is not None and clock.now() > deadline

    def allows(self, action: str) -> bool:
        """Whether the package's status allows `action` (a key of TRANSITIONS)."""
        return self.status in TRANSITIONS[action][0]


class Purpose(models.TextChoices):
    PERSONAL_CARE = "personal_care", "Personal care"
    MEDICATION = "medication", "Medication"
    MEAL = "meal", "Meal"
    DOMESTIC = "domestic", "Domestic"
    SITTING = "sitting", "Sitting"


MIN_VISIT_MINUTES = 30
MIN_MEDICATION_VISIT_MINUTES = 15
MAX_VISIT_MINUTES = 1440


SHORT_DAY_NAMES = dict(zip(DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))


def visit_in_words(*, days, time: str, minutes: int, carers: int, purpose: str) -> str:
    """A visit as people say it: "Every day at 08:00, 45 minutes, 2 carers (double-handed):
    personal care"."""
    when = "Every day" if len(days) == 7 else ", ".join(SHORT_DAY_NAMES.get(d, d) for d in days)
    who = "2 carers (double-handed)" if carers == 2 else "1 carer"
    return f"{when} at {time}, {minutes} minutes, {who}: {Purpose(purpose).label.lower()}"


class PackageVersion(models.Model):
    """One schedule of a package's visits (and flexible plan), in force from a date.

    The first version (number 1) is the one recorded with the referral and holds
    from the start, whatever the start date (`effective_from` is empty); while a
    package is a draft or open, edits change it in place. Once placed, a change is
    a new version from `effective_from` (between the start date and 28 days
    ahead): the versions before stay as they were, so that the days before it are
    still planned and invoiced by the schedule then in force. Of versions starting
    on the same day, the one recorded last holds.
    """

    audit_exclude = ("created_at",)

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    effective_from = models.DateField(
        null=True, blank=True, help_text="The first day it holds; empty for the first version."
    )
    weekly_hours = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0"))
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    in_force = models.BooleanField(
        default=True,
        help_text="False until its first day has come and the package's weekly hours follow it.",
    )

    class Meta:
        ordering = ["package", "number"]
        indexes = [
            # The daily job finds the versions whose day has come.
            models.Index(
                fields=["effective_from"],
                name="version_awaiting_force",
                condition=models.Q(in_force=False),
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["package", "number"], name="version_number_unique"),
            models.CheckConstraint(
                name="version_first_has_no_date",
                condition=models.Q(number=1, effective_from__isnull=True)
                | models.Q(number__gt=1, effective_from__isnull=False),
            ),
            models.CheckConstraint(
                name="version_weekly_hours_not_negative",
                condition=models.Q(weekly_hours__gte=0),
            ),
        ]

    def __str__(self):
        return f"Version {self.number} of package {self.package_id}"

    @staticmethod
    def in_force_order(version) -> tuple:
        """Sort key: the order in which versions take over from each other."""
        return (version.effective_from or datetime.date.min, version.number)

    @property
    def is_first(self) -> bool:
        return self.number == 1

    def visit_specs(self) -> list[dict]:
        """Its visits as the services and forms take them."""
        return [
            {
                "days": visit.days,
                "time": visit.time,
                "duration_minutes": visit.duration_minutes,
                "carers": visit.carers,
                "purpose": visit.purpose,
            }
            for visit in self.visits.all()
        ]


class Visit(models.Model):
    """A planned visit, repeated on the given days each week, in one version of the schedule.

    At least 30 minutes (NICE QS123), or 15 for a medication check; one
    carer, or two for a double-handed call (which counts twice in carer hours).
    """

    version = models.ForeignKey("PackageVersion", on_delete=models.CASCADE, related_name="visits")
    days = models.JSONField(help_text='Days of the week, e.g. ["mon", "wed"].')
    time = models.TimeField()
    duration_minutes = models.PositiveIntegerField(
        validators=[
            MinValueValidator(MIN_MEDICATION_VISIT_MINUTES),
            MaxValueValidator(MAX_VISIT_MINUTES),
        ]
    )
    carers = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(2)]
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)

    class Meta:
        ordering = ["time", "pk"]
        constraints = [
            models.CheckConstraint(
                name="visit_carers_1_or_2", condition=models.Q(carers__in=[1, 2])
            ),
            models.CheckConstraint(
                name="visit_duration_in_range",
                condition=models.Q(duration_minutes__lte=MAX_VISIT_MINUTES)
                & (
                    models.Q(duration_minutes__gte=MIN_VISIT_MINUTES)
                    | models.Q(
                        purpose="medication", duration_minutes__gte=MIN_MEDICATION_VISIT_MINUTES
                    )
                ),
            ),
        ]

    def __str__(self):
        return f"{','.join(self.days)} {self.time:%H:%M} {self.duration_minutes}m x{self.carers}"

    @property
    def in_words(self) -> str:
        return visit_in_words(
            days=self.days,
            time=f"{self.time:%H:%M}",
            minutes=self.duration_minutes,
            carers=self.carers,
            purpose=self.purpose,
        )

    @property
    def weekly_carer_minutes(self):
        return self.duration_minutes * self.carers * len(self.days)


class FlexiblePlan(models.Model):
    """Bury's flexible 4-week plan: hours may vary week to week within the total.

    Payment over the four weeks is capped by the total plus contingency hours.
    It belongs to one version of the package's schedule.
    """

    version = models.OneToOneField(
        PackageVersion, on_delete=models.CASCADE, related_name="flexible_plan"
    )
    week1_hours = models.DecimalField(max_digits=6, decimal_places=2)
    week2_hours = models.DecimalField(max_digits=6, decimal_places=2)
    week3_hours = models.DecimalField(max_digits=6, decimal_places=2)
    week4_hours = models.DecimalField(max_digits=6, decimal_places=2)
    contingency_hours = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("0"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="plan_hours_not_negative",
                condition=models.Q(
                    week1_hours__gte=0,
                    week2_hours__gte=0,
                    week3_hours__gte=0,
                    week4_hours__gte=0,
                    contingency_hours__gte=0,
                ),
            )
        ]

    def __str__(self):
        return f"Flexible plan of version {self.version_id}"

    @property
    def week_hours(self):
        return [self.week1_hours, self.week2_hours, self.week3_hours, self.week4_hours]

    @property
    def total_hours(self):
        return sum(self.week_hours, Decimal("0"))

    @property
    def cap_hours(self):
        return self.total_hours + self.contingency_hours


class HandBack(models.Model):
    """A provider ending a live package: the package re-opens without it, at once or, with
    notice, the day after `last_day`."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="hand_backs")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="hand_backs")
    reason = models.TextField()
    last_day = models.DateField(
        null=True, blank=True, help_text="With notice: the provider's last day of care."
    )
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["provider", "at"])]

    def __str__(self):
        return f"Hand-back of package {self.package_id} by {self.provider_id}"


class Placement(models.Model):
    """A provider caring for a package, from `starts_on` to `ends_on` (empty: until further
    notice).

    A package has one placement per provider that took it on, in order; at most one
    runs on with no end. A provider records visits only for the days of its own
    placements. Handed back at once, a placement ends that day (one not yet begun
    then covers no day at all); with notice, on the last day given, and the next
    provider's placement starts the day after.
    """

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="placements")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="placements")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    placed_at = models.DateTimeField(help_text="When the provider accepted or was assigned it.")

    class Meta:
        ordering = ["package", "starts_on", "pk"]
        indexes = [models.Index(fields=["provider", "package"], name="placement_provider")]
        constraints = [
            models.UniqueConstraint(
                fields=["package"],
                condition=models.Q(ends_on__isnull=True),
                name="placement_one_running_per_package",
            )
        ]

    def __str__(self):
        return f"Placement of package {self.package_id} with {self.provider_id}"

    def covers(self, day: datetime.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class Goal(models.TextChoices):
    """The outcomes a package aims at (Bury's seven, after the Care Act's wellbeing duty)."""

    QUALITY_OF_LIFE = "quality_of_life", "Quality of life"
    WELLBEING = "wellbeing", "Wellbeing"
    FEEL_SAFE = "feel_safe", "Feeling safe"
    DAILY_LIVING = "daily_living", "Daily living"
    COMMUNITY = "community", "Being part of the community"
    INDEPENDENCE = "independence", "Independence"
    CONTROL = "control", "Choice and control"


class GoalStatus(models.TextChoices):
    MET = "met", "Met"
    PARTLY_MET = "partly_met", "Partly met"
    NOT_MET = "not_met", "Not met"


class ReviewOutcome(models.TextChoices):
    CONTINUE = "continue", "Continue as it is"
    CHANGE = "change", "Change the care"
    END = "end", "End the package"


class Review(models.Model):
    """A review of a placed package (at 3 or 6 weeks, then as each sets): how its goals are
    going and what follows. `end` ends the package on the day held; `weekly_hours_before`
    keeps the hours in force that day, against which the hours after it are measured."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="reviews")
    held_on = models.DateField()
    outcome = models.CharField(max_length=10, choices=ReviewOutcome.choices)
    notes = models.TextField(blank=True)
    goals = models.JSONField(default=list, blank=True, help_text='[{"goal", "status"}]')
    next_review_on = models.DateField(null=True, blank=True)
    weekly_hours_before = models.DecimalField(max_digits=7, decimal_places=2)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["package", "held_on", "pk"]
        indexes = [models.Index(fields=["held_on"], name="review_held_on")]
        constraints = [
            models.CheckConstraint(
                name="review_outcome_valid",
                condition=models.Q(outcome__in=ReviewOutcome.values),
            ),
            models.CheckConstraint(
                name="review_next_after_held",
                condition=models.Q(next_review_on__isnull=True)
                | models.Q(next_review_on__gt=models.F("held_on")),
            ),
        ]

    def __str__(self):
        return f"Review of package {self.package_id} on {self.held_on}"

    @property
    def goals_in_words(self) -> list[str]:
        """Each goal as people say it: "Independence: partly met"."""
        labels, statuses = dict(Goal.choices), dict(GoalStatus.choices)
        return [
            f"{labels.get(g['goal'], g['goal'])}: {statuses[g['status']].lower()}"
            for g in self.goals
        ]


class ReferralInProgress(models.Model):
    """A referral being taken down and not yet recorded: the referral form's answers as
    typed, saved part way through a call (nothing needed but the NHS number and name) or
    waiting on its "check your answers" page.

    It is not a package: nothing is brokered and no other rule is checked until the broker
    continues, when every rule is checked as the API's POST checks it; recording it (a
    draft or submitted package) deletes it. `zone` (from the postcode, once it names one)
    lets the brokers of that zone finish it; until then only whoever started it sees it.
    """

    # The answers hold the person's details: the audit trail records that they changed.
    audit_exclude = ("answers", "created_at", "updated_at")

    answers = models.JSONField(help_text="The form's fields as posted: {name: [values]}.")
    nhs_number = models.CharField(max_length=10)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    zone = models.ForeignKey(
        Zone, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name_plural = "referrals in progress"
        indexes = [
            models.Index(fields=["zone", "updated_at"], name="referral_in_progress_zone"),
            models.Index(fields=["created_by", "updated_at"], name="referral_in_progress_by"),
        ]

    def __str__(self):
        return f"Referral in progress {self.pk}"

    @property
    def nhs_number_display(self):
        return spaced_nhs_number(self.nhs_number)


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Changed"
    SUBMITTED = "submitted", "Submitted for brokering"
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Offer accepted"
    DECLINED = "declined", "Offer declined"
    EXPIRED = "expired", "Offer expired"
    WITHDRAWN = "withdrawn", "Offer withdrawn"
    ESCALATED = "escalated", "Escalated: no eligible provider left"
    PLACED = "placed", "Placed"
    ASSIGNED = "assigned", "Assigned by hand"
    HANDED_BACK = "handed_back", "Handed back"
    CHANGED = "changed", "Visits changed from a date"
    TAKEN_OVER = "taken_over", "Next provider took over"
    REBROKERED = "rebrokered", "Re-brokered"
    REVIEWED = "reviewed", "Reviewed"
    REVIEW_ASKED = "review_asked", "Review asked for"
    ENDED = "ended", "Ended"
    CANCELLED = "cancelled", "Cancelled"


class PackageEvent(models.Model):
    """One entry in a package's timeline: what happened, who did it, when."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["package", "at"])]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class PersonAccess(models.Model):
    """Append-only log of every view of a person's record: who, whom, when, from where."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    via = models.CharField(max_length=200, help_text="The page or endpoint that showed the record.")

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["person", "at"]), models.Index(fields=["user", "at"])]

    def __str__(self):
        return f"Person {self.person_id} viewed by user {self.user_id} via {self.via}"


class CommissionedDay(models.Model):
    """The care commissioned in one zone on one day that has passed: sums over the
    placements in care that day, kept so that spend by zone and period reads a row per
    zone and day instead of every package (nationally, a million).

    It holds no fact of its own. `weekly_hours` sums the weekly hours of the version in
    force that day of each package in care (a day's hours are a seventh of it);
    `weekly_pounds` the same, each at its provider's rate in force that day in the zone
    (providers.rates). Rows exist for the days up to CommissionedHorizon's
    `closed_through`: the lifecycle's services add each change of care on those days in
    their own transaction (packages.commissioned), a periodic job closes each day that
    passes, and `commissioned.rebuild()` (the `rebuild_commissioned_rollup` command)
    recomputes them. Rates start today or later, so a rate change never touches a row.
    """

    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    weekly_hours = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    weekly_pounds = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("0"))

    class Meta:
        ordering = ["date", "zone_id"]
        constraints = [
            # Date first: the index also serves spend's reads of a range of days.
            models.UniqueConstraint(fields=["date", "zone"], name="commissioned_per_zone_and_day")
        ]

    def __str__(self):
        return f"Commissioned in zone {self.zone_id} on {self.date}"


class CommissionedPeriod(models.Model):
    """CommissionedDay summed per zone and 4-week spend period (`period_start`, see
    packages.commissioned.spend_period_start), kept in step with it by the same upserts,
    so that spend over whole periods reads a row per zone and period, not 28."""

    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    weekly_hours = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    weekly_pounds = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal("0"))

    class Meta:
        ordering = ["period_start", "zone_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "zone"], name="commissioned_per_zone_and_period"
            )
        ]

    def __str__(self):
        return f"Commissioned in zone {self.zone_id} in the period from {self.period_start}"


class CommissionedHorizon(models.Model):
    """The one row saying up to which day CommissionedDay is kept (None: no day yet)."""

    closed_through = models.DateField(null=True, blank=True)

    def __str__(self):
        return f"Commissioned care rolled up through {self.closed_through}"
