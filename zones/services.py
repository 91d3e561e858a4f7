"""Writes to zones: a zone and its postcode districts are created and changed together."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from core import audit
from core.errors import constraint_errors

from .models import AllocationMode, PostcodeDistrict, Zone
from .postcodes import normalise_district

# Words used in page URLs next to zone codes (/zones/new/, /zones/lookup/).
RESERVED_CODES = {"new", "lookup"}

CHANGEABLE = {
    "name",
    "postcode_districts",
    "allocation_mode",
    "offer_window_minutes",
    "urgent_offer_window_minutes",
    "rotation_weeks",
}


def create_zone(
    *,
    by,
    code: str,
    name: str,
    postcode_districts: list[str],
    allocation_mode: str = AllocationMode.CASCADE,
    offer_window_minutes: int = 240,
    urgent_offer_window_minutes: int = 30,
    rotation_weeks: int = 2,
) -> Zone:
    """A new zone covering `postcode_districts`, none of which may belong to another zone."""
    if str(code).lower() in RESERVED_CODES:
        raise ValidationError({"code": [f"{code} is a reserved word: choose another code."]})
    zone = Zone(
        code=code,
        name=name,
        allocation_mode=allocation_mode,
        offer_window_minutes=offer_window_minutes,
        urgent_offer_window_minutes=urgent_offer_window_minutes,
        rotation_weeks=rotation_weeks,
    )
    districts = clean_districts(postcode_districts)
    with _zone_races(), transaction.atomic():
        zone.full_clean()
        _check_districts_free(districts, zone=None)
        zone.save()
        audit.record(by=by, obj=zone, action=audit.CREATE, changes=audit.created(zone))
        _set_districts(zone, districts, by=by)
    return zone


def update_zone(*, zone_id: int, by, **changes) -> Zone:
    """Change some of a zone's settings; `postcode_districts`, when given, replaces the list."""
    unknown = set(changes) - CHANGEABLE - {"code"}
    if unknown:
        raise TypeError(f"update_zone() cannot change {', '.join(sorted(unknown))}")
    districts = None
    if "postcode_districts" in changes:
        districts = clean_districts(changes.pop("postcode_districts"))
    with _zone_races(), transaction.atomic():
        zone = Zone.objects.select_for_update().get(pk=zone_id)
        before = audit.snapshot(zone)
        if changes.pop("code", zone.code) != zone.code:
            raise ValidationError(
                {"code": ["A zone's code cannot be changed: other systems use it."]}
            )
        for field, value in changes.items():
            setattr(zone, field, value)
        zone.full_clean()
        if zone.allocation_mode == AllocationMode.ROTA:
            _check_rota_shares(zone)
        zone.save()
        if zone_changes := audit.changed(before, zone):
            audit.record(by=by, obj=zone, changes=zone_changes)
        if districts is not None:
            _check_districts_free(districts, zone=zone)
            _set_districts(zone, districts, by=by)
    return zone


def clean_districts(raw) -> list[str]:
    """Normalised, de-duplicated districts in the order given; at least one."""
    errors, districts = [], []
    for item in raw or []:
        try:
            district = normalise_district(item)
        except ValidationError:
            errors.append(
                f"{str(item).strip() or 'A blank entry'} is not a postcode district: "
                "enter the first part of a postcode, like EX2."
            )
            continue
        if district not in districts:
            districts.append(district)
    if not errors and not districts:
        errors.append("Enter at least one postcode district, like EX1.")
    if errors:
        raise ValidationError({"postcode_districts": errors})
    return districts


def _check_districts_free(districts, *, zone):
    taken = (
        PostcodeDistrict.objects.filter(district__in=districts)
        .exclude(zone=zone)
        .select_related("zone")
        .order_by("district")
    )
    errors = [
        f"{d.district} is already in zone {d.zone.name} ({d.zone.code}): "
        "a postcode district belongs to one zone only."
        for d in taken
    ]
    if errors:
        raise ValidationError({"postcode_districts": errors})


def _check_rota_shares(zone):
    # zones sits below providers and cannot import its models: contracts are
    # reached through the reverse relation, their roles by value.
    total = (
        zone.contracts.filter(role__in=("primary", "secondary")).aggregate(
            total=Sum("share_percent")
        )["total"]
        or 0
    )
    if total > 100:
        raise ValidationError(
            {
                "allocation_mode": [
                    f"The primary's and secondary's shares add up to {total}%: a rota needs "
                    "100% at most. Change their shares before making this zone a rota."
                ]
            }
        )


def _set_districts(zone, districts, *, by):
    existing = {d.district: d for d in zone.districts.all()}
    for district, row in existing.items():
        if district not in districts:
            audit.record(by=by, obj=row, action=audit.DELETE, changes=audit.created(row))
            row.delete()
    for district in districts:
        if district not in existing:
            row = PostcodeDistrict.objects.create(zone=zone, district=district)
            audit.record(by=by, obj=row, action=audit.CREATE, changes=audit.created(row))


def _zone_races():
    return constraint_errors(
        {
            "district": (
                "postcode_districts",
                "One of these districts was just put in another zone.",
            ),
            "code": ("code", "A zone with this code already exists."),
        }
    )
