"""Writes to zones: a zone and its postcode districts are created and changed together."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from core import audit
from core.errors import constraint_errors

from .models import AllocationMode, Neighbour, PostcodeDistrict, Zone
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
    "review_after_days",
    "neighbours",
    "retry_minutes",
    "urgent_wave",
    "offer_hours_start",
    "offer_hours_end",
    "fill_target_urgent_minutes",
    "fill_target_standard_minutes",
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
    neighbours: list[str] = (),
    **settings,
) -> Zone:
    """A new zone covering `postcode_districts`, none of which may belong to another zone.

    `settings` are any other of the zone's fields (CHANGEABLE): its re-tries, urgent
    wave, offer hours and fill targets, each with its model default."""
    _check_changeable(settings)
    if str(code).lower() in RESERVED_CODES:
        raise ValidationError({"code": [f"{code} is a reserved word: choose another code."]})
    zone = Zone(
        code=code,
        name=name,
        allocation_mode=allocation_mode,
        offer_window_minutes=offer_window_minutes,
        urgent_offer_window_minutes=urgent_offer_window_minutes,
        rotation_weeks=rotation_weeks,
        **settings,
    )
    districts = clean_districts(postcode_districts)
    with _zone_races(), transaction.atomic():
        _check_offer_hours(zone)
        zone.full_clean()
        neighbour_zones = _neighbour_zones(zone, neighbours)
        _check_districts_free(districts, zone=None)
        zone.save()
        audit.record(by=by, obj=zone, action=audit.CREATE, changes=audit.created(zone))
        _set_districts(zone, districts, by=by)
        _set_neighbours(zone, neighbour_zones, by=by)
    return zone


def _check_changeable(changes):
    unknown = set(changes) - CHANGEABLE - {"code"}
    if unknown:
        raise TypeError(f"cannot set a zone's {', '.join(sorted(unknown))}")


def update_zone(*, zone_id: int, by, **changes) -> Zone:
    """Change some of a zone's settings; `postcode_districts`, when given, replaces the list."""
    _check_changeable(changes)
    districts = neighbours = None
    if "postcode_districts" in changes:
        districts = clean_districts(changes.pop("postcode_districts"))
    if "neighbours" in changes:
        neighbours = changes.pop("neighbours")
    with _zone_races(), transaction.atomic():
        zone = Zone.objects.select_for_update().get(pk=zone_id)
        before = audit.snapshot(zone)
        if changes.pop("code", zone.code) != zone.code:
            raise ValidationError(
                {"code": ["A zone's code cannot be changed: other systems use it."]}
            )
        for field, value in changes.items():
            setattr(zone, field, value)
        _check_offer_hours(zone)
        zone.full_clean()
        neighbour_zones = None if neighbours is None else _neighbour_zones(zone, neighbours)
        if zone.allocation_mode == AllocationMode.ROTA:
            _check_rota_shares(zone)
        zone.save()
        if zone_changes := audit.changed(before, zone):
            audit.record(by=by, obj=zone, changes=zone_changes)
        if districts is not None:
            _check_districts_free(districts, zone=zone)
            _set_districts(zone, districts, by=by)
        if neighbour_zones is not None:
            _set_neighbours(zone, neighbour_zones, by=by)
    return zone


def _check_offer_hours(zone):
    """Offer hours are a start and an end on the same day, the end after the start."""
    start, end = zone.offer_hours_start, zone.offer_hours_end
    if (start is None) != (end is None):
        raise ValidationError(
            {"offer_hours": ["Give both a start and an end, or neither (around the clock)."]}
        )
    if start is not None and end <= start:
        raise ValidationError(
            {
                "offer_hours": [
                    f"The end ({end:%H:%M}) must be after the start ({start:%H:%M}): offer "
                    "hours run within one day."
                ]
            }
        )


def _neighbour_zones(zone, codes) -> list[Zone]:
    """The zones named by `codes`, in that order (repeats dropped); 400 on `neighbours` for a
    code no zone has, or for the zone itself."""
    codes = list(dict.fromkeys(str(code).strip() for code in codes or ()))
    found = {z.code: z for z in Zone.objects.filter(code__in=codes)}
    errors = []
    for code in codes:
        if code == zone.code:
            errors.append(f"{code} is this zone: a zone cannot be its own neighbour.")
        elif code not in found:
            errors.append(f"There is no zone {code or '(blank)'}: use the code of a zone.")
    if errors:
        raise ValidationError({"neighbours": errors})
    return [found[code] for code in codes]


def _set_neighbours(zone, neighbours, *, by):
    """Replace the zone's neighbours by `neighbours`, in that order, audited as one change."""
    before = zone.neighbour_codes if zone.pk else []
    after = [n.code for n in neighbours]
    if before == after:
        return
    Neighbour.objects.filter(zone=zone).delete()
    Neighbour.objects.bulk_create(
        Neighbour(zone=zone, neighbour=n, position=i) for i, n in enumerate(neighbours)
    )
    zone_changes = {"neighbours": [", ".join(before), ", ".join(after)]}
    audit.record(by=by, obj=zone, changes=zone_changes)


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
