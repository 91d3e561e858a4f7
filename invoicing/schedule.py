"""A package's planned care, day by day: which planned visits fall on which dates.

Shared by invoice building (commissioned hours, missed visits) and the
planned-against-delivered view. Each date follows the version of the package's
schedule in force that day (`Package.version_on`), so a change from a date plans
and invoices the days before it by the old visits and the days from it by the new.
A provider's care runs over its placements (`Package.placements`), up to the day
the package ended, if it has. The packages' versions and placements are
prefetched (packages.selectors.with_schedule).
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from packages.models import DAYS, FlexiblePlan, PackageVersion, Placement, Visit

from . import pay

ONE_DAY = datetime.timedelta(days=1)
# What `load` leaves on each package (read by `_versions` and `placements`).
_IN_FORCE_ORDER = "_schedule_in_force_order"
_PLACEMENTS = "_schedule_placements"


def load(packages) -> dict:
    """{id: package} for the packages (a queryset), each with its versions in force order,
    their planned visits and flexible plans, and its placements with their providers: five
    queries, assembled here. An import or an invoice reads thousands of packages, and
    Django's prefetch costs a queryset for each package and each relation (seconds)."""
    found = {package.pk: package for package in packages}
    ids = list(found)
    versions = list(PackageVersion.objects.filter(package_id__in=ids))
    version_ids = [version.pk for version in versions]
    visits = defaultdict(list)
    for visit in Visit.objects.filter(version_id__in=version_ids):
        visits[visit.version_id].append(visit)
    plans = {
        plan.version_id: plan for plan in FlexiblePlan.objects.filter(version_id__in=version_ids)
    }
    in_force = defaultdict(list)
    for version in sorted(versions, key=PackageVersion.in_force_order):
        in_force[version.package_id].append((version, visits[version.pk], plans.get(version.pk)))
    placements = defaultdict(list)
    for placement in Placement.objects.filter(package_id__in=ids).select_related("provider"):
        placements[placement.package_id].append(placement)
    for pk, package in found.items():
        package.__dict__[_IN_FORCE_ORDER] = in_force[pk]
        package.__dict__[_PLACEMENTS] = placements[pk]
    return found


def placements(package) -> list:
    """The package's placements (listed once per package object)."""
    listed = package.__dict__.get(_PLACEMENTS)
    if listed is None:
        listed = package.__dict__[_PLACEMENTS] = list(package.placements.all())
    return listed


def _versions(package) -> list:
    """[(version, its planned visits, its flexible plan or None)] in force order, listed once
    per package object (by `load`, or here from the prefetched relations): an import or an
    invoice asks about every day of thousands of packages, and each asking of a prefetched
    relation makes a queryset."""
    versions = package.__dict__.get(_IN_FORCE_ORDER)
    if versions is None:
        versions = package.__dict__[_IN_FORCE_ORDER] = [
            (version, list(version.visits.all()), getattr(version, "flexible_plan", None))
            for version in sorted(package.versions.all(), key=PackageVersion.in_force_order)
        ]
    return versions


def mark_service_start(packages, provider_id=None):
    """Set `care_spans` on each package: the (first, last) days of the placements of
    `provider_id` (default: the package's own provider), last None while it runs on; and
    `service_start`, the first of them (the start date when it has none)."""
    for package in packages:
        provider = provider_id or package.provider_id
        package.care_spans = [
            (placement.starts_on, placement.ends_on)
            for placement in placements(package)
            if placement.provider_id == provider
            and (placement.ends_on is None or placement.ends_on >= placement.starts_on)
        ]
        package.service_start = min(
            (first for first, _ in package.care_spans), default=package.start_date
        )
    return packages


def care_days(package, first: datetime.date, last: datetime.date):
    """The days from `first` to `last` on which the provider (see mark_service_start) cared
    for the package."""
    if package.ended_on:
        last = min(last, package.ended_on)
    for span_first, span_last in getattr(package, "care_spans", [(package.start_date, None)]):
        day = max(first, span_first, package.start_date)
        end = last if span_last is None else min(last, span_last)
        while day <= end:
            yield day
            day += ONE_DAY


def planned_visits_on(package, day):
    """The planned visits on `day` of the version in force that day."""
    weekday = DAYS[day.weekday()]
    return [planned for planned in _in_force(package, day)[1] if weekday in planned.days]


def plan_on(package, day):
    """The flexible 4-week plan in force on `day`, or None."""
    return _in_force(package, day)[2]


def _in_force(package, day):
    """(version, its planned visits, its flexible plan or None) in force on `day`, by the
    rule of `Package.version_on`."""
    versions = _versions(package)
    in_force = versions[0]
    for later in versions[1:]:
        if later[0].effective_from <= day:
            in_force = later
    return in_force


def planned_occurrences(package, first, last):
    """(day, planned visit) for every planned visit in care from `first` to `last`."""
    return [
        (day, planned)
        for day in care_days(package, first, last)
        for planned in planned_visits_on(package, day)
    ]


def has_flexible_plan(package) -> bool:
    """Whether any version of the package has a flexible plan."""
    return any(plan is not None for _, _, plan in _versions(package))


def planned_on(package, day) -> tuple[Decimal, int]:
    """What the schedule in force on `day` plans that day: a flexible plan's weekly hours
    spread over the week's days (hours), otherwise the day's visits (carer minutes)."""
    plan = plan_on(package, day)
    if plan is not None:
        return pay.planned_day_hours(plan.week_hours, package.start_date, day), 0
    return Decimal(0), sum(
        planned.duration_minutes * planned.carers for planned in planned_visits_on(package, day)
    )


def commissioned_hours(package, first, last) -> Decimal:
    """Carer hours planned from `first` to `last`, each day by its own schedule."""
    plan_hours, minutes = Decimal(0), 0
    for day in care_days(package, first, last):
        day_hours, day_minutes = planned_on(package, day)
        plan_hours, minutes = plan_hours + day_hours, minutes + day_minutes
    if not minutes:
        return plan_hours.quantize(pay.PENCE)
    return (plan_hours + pay.hours(minutes)).quantize(pay.PENCE)


def plan_cap_minutes(package, cycle_first: datetime.date) -> int:
    """The most carer minutes payable in the 4-week cycle starting `cycle_first`: the cap
    of each day's flexible plan (total plus contingency) spread over the cycle's days, so
    a cycle under one plan is capped by that plan's cap, one across a change by each
    plan's share."""
    caps = [
        pay.cap_minutes(plan.cap_hours)
        for day in (cycle_first + ONE_DAY * n for n in range(pay.PLAN_CYCLE_DAYS))
        if (plan := plan_on(package, day)) is not None
    ]
    if len(caps) == pay.PLAN_CYCLE_DAYS and len(set(caps)) == 1:
        return caps[0]
    return sum(caps) // pay.PLAN_CYCLE_DAYS
