"""Reads that the package pages and the API share."""

from django.core.exceptions import ValidationError
from django.db.models import Case, Prefetch, When
from django.db.models.functions import Coalesce

from zones.models import PostcodeDistrict, Zone
from zones.postcodes import postcode_district

from .models import PackageEvent, PackageStatus, Priority

NO_ZONE = "No zone covers postcode district {district}: check the postcode."


def zone_for_postcode(postcode: str) -> Zone:
    """The zone whose districts include `postcode`'s; ValidationError if malformed or uncovered."""
    district = postcode_district(postcode)
    row = PostcodeDistrict.objects.select_related("zone").filter(district=district).first()
    if row is None:
        raise ValidationError(NO_ZONE.format(district=district), code="no_zone")
    return row.zone


def with_details(packages):
    """Packages with what a list or the API shows of each, in a fixed number of queries."""
    return packages.select_related("person", "zone", "provider", "flexible_plan").prefetch_related(
        "visits"
    )


def worklist(packages):
    """Open packages, urgent first, then the longest waiting (since submit or hand-back)."""
    return (
        packages.filter(status=PackageStatus.OPEN)
        .select_related("zone")
        .annotate(
            waiting_from=Coalesce("waiting_since", "submitted_at", "created_at"),
            urgency=Case(When(priority=Priority.URGENT, then=0), default=1),
        )
        .order_by("urgency", "waiting_from", "pk")
    )


def package_page(packages, pk):
    """One package with its visits, plan and timeline (who and when), or Package.DoesNotExist."""
    events = PackageEvent.objects.select_related("by", "provider")
    return (
        packages.select_related("person", "zone", "provider", "flexible_plan", "created_by")
        .prefetch_related("visits", Prefetch("events", queryset=events))
        .get(pk=pk)
    )


def other_packages_of(person_id, packages, exclude_pk=None):
    """The person's packages among `packages` (the ones the user may see), newest first."""
    others = packages.filter(person_id=person_id).select_related("zone", "provider")
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.order_by("-created_at")
