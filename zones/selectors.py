"""Reads of zones shared by the pages, the API and other apps (a package's zone from its postcode)."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from core.queries import related_count

from .models import Neighbour, Zone
from .postcodes import normalise_postcode


class PostcodeNotCovered(ValidationError):
    """A well-formed postcode whose district is in no zone.

    A ValidationError, so that a caller checking a referral's postcode can
    treat it like a malformed one (400 naming the field); the lookup tells the
    two apart to answer 404.
    """

    def __init__(self, postcode: str):
        self.postcode = postcode
        self.district = postcode.split(" ")[0]
        super().__init__(
            f"No zone covers {postcode}: its district {self.district} is in no zone.",
            code="postcode_not_covered",
        )


def zone_for_postcode(postcode: str) -> Zone:
    """The zone covering `postcode` (any case and spacing).

    Raises ValidationError for a malformed postcode and PostcodeNotCovered
    (also a ValidationError) when no zone covers its district.
    """
    normalised = normalise_postcode(postcode)
    zone = Zone.objects.filter(districts__district=normalised.split(" ")[0]).first()
    if zone is None:
        raise PostcodeNotCovered(normalised)
    return zone


def with_districts(queryset):
    """Zones with their districts and neighbours loaded in two extra queries."""
    neighbours = Neighbour.objects.select_related("neighbour")
    return queryset.prefetch_related("districts", Prefetch("neighbour_links", queryset=neighbours))


def zone_list(queryset):
    """Zones for the list page and its CSV: districts and the number of contracted providers."""
    # An aggregate drops Meta.ordering: pages need a stable order.
    return (
        with_districts(queryset)
        # A count per zone of the page, not a join and grouping of every zone's contracts.
        .annotate(provider_count=related_count(Zone, "contracts"))
        .order_by("code")
    )
