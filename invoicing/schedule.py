"""A package's planned care, day by day: which planned visits fall on which dates.

Shared by invoice building (commissioned hours, missed visits) and the
planned-against-delivered view. A package is in care from its start date (for a
package handed back and placed again, from the day of its current placement) to
the day it ended, if it has.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from packages.models import DAYS, HandBack

from . import pay

ONE_DAY = datetime.timedelta(days=1)


def mark_service_start(packages):
    """Set `service_start` on each package (one query for all)."""
    handed_back = set(
        HandBack.objects.filter(package_id__in=[p.pk for p in packages]).values_list(
            "package_id", flat=True
        )
    )
    for package in packages:
        package.service_start = package.start_date
        if package.pk in handed_back and package.placed_at:
            package.service_start = max(package.start_date, timezone.localdate(package.placed_at))
    return packages


def care_days(package, first: datetime.date, last: datetime.date):
    """The days from `first` to `last` on which the package was in care."""
    first = max(first, getattr(package, "service_start", package.start_date))
    if package.ended_on:
        last = min(last, package.ended_on)
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def planned_visits_on(package, day):
    """The package's planned visits on `day` (its `visits` prefetched)."""
    weekday = DAYS[day.weekday()]
    return [planned for planned in package.visits.all() if weekday in planned.days]


def planned_occurrences(package, first, last):
    """(day, planned visit) for every planned visit in care from `first` to `last`."""
    return [
        (day, planned)
        for day in care_days(package, first, last)
        for planned in planned_visits_on(package, day)
    ]


def has_flexible_plan(package) -> bool:
    return hasattr(package, "flexible_plan")


def commissioned_hours(package, first, last) -> Decimal:
    """Carer hours planned from `first` to `last`: a flexible plan's weekly hours spread
    over each week's days, otherwise the visit schedule."""
    if has_flexible_plan(package):
        week_hours = package.flexible_plan.week_hours
        total = sum(
            (
                pay.planned_day_hours(week_hours, package.start_date, day)
                for day in care_days(package, first, last)
            ),
            Decimal(0),
        )
        return total.quantize(pay.PENCE)
    minutes = sum(
        planned.duration_minutes * planned.carers
        for _, planned in planned_occurrences(package, first, last)
    )
    return pay.hours(minutes)
