"""Reads that the package pages and the API share."""

import contextlib
import datetime
import re

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, Subquery, Sum, When
from django.db.models.functions import Coalesce

from accounts.models import Role
from core import clock
from providers.models import Capacity
from providers.selectors import with_remaining
from zones.postcodes import normalise_postcode

from .models import (
    CARE_UNTIL,
    DAY_NAMES,
    DAYS,
    URGENCY,
    WAITING_FROM,
    HandBack,
    Package,
    PackageEvent,
    PackageStatus,
    PackageVersion,
    Person,
    Placement,
)

# The reviews list shows those due within this long, and the overdue.
REVIEWS_AHEAD = datetime.timedelta(days=14)
# Longer than any package id would be: a search of more digits is an NHS number or nothing.
MAX_ID_DIGITS = 12


def versions():
    """A prefetch of each package's versions with their visits and plans: what
    `Package.version_on` reads, so that the schedule of any day costs no query."""
    return Prefetch(
        "versions",
        queryset=PackageVersion.objects.select_related(
            "flexible_plan", "created_by"
        ).prefetch_related("visits"),
    )


def with_schedule(packages):
    """Packages with their versions and placements prefetched (a fixed number of queries)."""
    placements = Placement.objects.select_related("provider")
    return packages.prefetch_related(versions(), Prefetch("placements", queryset=placements))


def with_details(packages):
    """Packages with what a list or the API shows of each, in a fixed number of queries."""
    return with_schedule(packages.select_related("person", "zone", "provider"))


def with_current_offers(packages):
    """Packages with their pending offers (`current_offers`), soonest to expire first.

    Offers are brokering's, above this app: reached through the relation, by value."""
    offer_model = Package._meta.get_field("offers").related_model
    pending = offer_model.objects.filter(status="pending").select_related("provider")
    return packages.prefetch_related(
        Prefetch("offers", queryset=pending.order_by("expires_at", "pk"), to_attr="current_offers")
    )


def in_care_between(first, last):
    """Packages in care (placed, or placed then ended) on some day from `first` to `last`,
    with `care_until`: their last day of care, or the last day there is if not ended."""
    return (
        Package.objects.filter(
            status__in=(PackageStatus.PLACED, PackageStatus.ENDED),
            provider__isnull=False,
            start_date__lte=last,
        )
        .alias(care_until=CARE_UNTIL)
        .filter(care_until__gte=first)
    )


def with_brokering_facts(packages):
    """Packages with what the worklist shows of their brokering: who holds an offer now
    (`current_offers`) and how many declined it or let it expire."""
    offer_model = Package._meta.get_field("offers").related_model

    def offers(status):
        counted = offer_model.objects.filter(package=OuterRef("pk"), status=status)
        counted = counted.order_by().values("package").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted), 0)

    return with_current_offers(packages).annotate(
        declines=offers("declined"), expiries=offers("expired")
    )


def show_zone_capacity(packages) -> None:
    """Set `zone_capacity_left` on each of a page's packages: the capacity declared for this
    week in its zone minus what was placed there since (None: nobody declared any)."""
    zone_ids = {package.zone_id for package in packages}
    this_week = Capacity.objects.filter(
        zone_id__in=zone_ids, week_start=clock.week_start(clock.today())
    )
    left = dict(
        with_remaining(this_week)
        .order_by()
        .values("zone")
        .annotate(total=Sum("remaining_hours"))
        .values_list("zone", "total")
    )
    for package in packages:
        package.zone_capacity_left = left.get(package.zone_id)


def worklist(packages):
    """Open packages, urgent first, then the longest waiting (since submit or hand-back);
    `handed_back` marks those a provider handed back."""
    handed_back = HandBack.objects.filter(package=OuterRef("pk"))
    return (
        packages.filter(status=PackageStatus.OPEN)
        .select_related("zone")
        .annotate(waiting_from=WAITING_FROM, urgency=URGENCY, handed_back=Exists(handed_back))
        # Read in this order from the index `package_worklist`, not sorted.
        .order_by("urgency", "waiting_from", "pk")
    )


def under_notice(packages):
    """Packages handed back with notice, the soonest last day first: still with their
    provider, brokering looking for the next one (or the next one found)."""
    return (
        packages.filter(status=PackageStatus.PLACED, handed_back_until__isnull=False)
        .select_related("zone", "provider", "next_provider")
        .order_by("handed_back_until", "pk")
    )


def live_first(packages):
    """A provider's packages: those it is caring for now first, then the ended; newest placed first."""
    return packages.annotate(
        ended_last=Case(When(status=PackageStatus.ENDED, then=1), default=0)
    ).order_by("ended_last", "-placed_at", "-pk")


def package_page(packages, pk):
    """One package with its visits, plan and timeline (who and when), or Package.DoesNotExist."""
    events = PackageEvent.objects.select_related("by", "provider")
    return (
        with_schedule(packages.select_related("person", "zone", "provider", "created_by"))
        .prefetch_related(Prefetch("events", queryset=events))
        .get(pk=pk)
    )


def other_packages_of(person_id, packages, exclude_pk=None):
    """The person's packages among `packages` (the ones the user may see), newest first."""
    others = packages.filter(person_id=person_id).select_related("zone", "provider")
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.order_by("-created_at")


def visit_grid(visits):
    """The week as a grid: a row for each time of day, a cell for each day with its visits."""
    times = sorted({visit.time for visit in visits})
    rows = [
        {
            "time": time,
            "cells": [
                [visit for visit in visits if visit.time == time and day in visit.days]
                for day in DAYS
            ],
        }
        for time in times
    ]
    return {"days": DAY_NAMES, "rows": rows}


def timeline_for(package, user):
    """The package's timeline as `user` may see it: a provider sees only its own offers' events."""
    events = package.events.all()
    if user.role == Role.PROVIDER:
        return [e for e in events if e.provider_id in (None, user.provider_id)]
    return list(events)


def changes_of(package):
    """A package's changes from a date (its versions after the first), in the order made."""
    return (
        PackageVersion.objects.filter(package=package, number__gt=1)
        .select_related("flexible_plan", "created_by")
        .prefetch_related("visits")
        .order_by("number")
    )


def search(packages, text):
    """The packages among `packages` whose NHS number (with or without spaces), family name
    (case-insensitive, from its start), postcode or id matches `text`.

    Each key is tried only when the text has its shape, so that each is one index's
    lookup: people by NHS number (unique), by the upper case of their family name (a
    pattern index) or by postcode, then their packages by person; the id by primary key.
    """
    text = " ".join(str(text or "").split())
    if not text:
        return packages
    digits = re.sub(r"[\s-]", "", text)
    if digits.isdigit():
        return packages.filter(_by_number(digits, is_id=digits == text))
    people = Q(family_name__istartswith=text)
    with contextlib.suppress(ValidationError):  # not shaped like a postcode
        people |= Q(postcode=normalise_postcode(text))
    # A semi-join: the people found, then their packages by the person index.
    return packages.filter(person__in=Person.objects.filter(people))


def _by_number(digits, *, is_id):
    """An NHS number's packages, or a package's id. The person is looked up first (one row
    at most): a subquery OR'd with the id could be served by no index."""
    found = Q(pk__in=[])
    if len(digits) == 10:
        person_ids = list(Person.objects.filter(nhs_number=digits).values_list("pk", flat=True))
        found |= Q(person_id__in=person_ids)
    if is_id and len(digits) <= MAX_ID_DIGITS:
        found |= Q(pk=int(digits))
    return found


def reviews_due(packages):
    """Placed packages with a review to come, the soonest due first (index
    `package_review_due`)."""
    return packages.filter(status=PackageStatus.PLACED, review_due_on__isnull=False).order_by(
        "review_due_on", "pk"
    )
