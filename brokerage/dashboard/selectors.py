"""The dashboard's numbers: one selector per table, read by both the pages and the API.

Every selector takes a `Scope` (zones and UK dates, see filters.py) and does
a fixed number of aggregate queries, however many packages there are.
"""

import datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Min, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate, TruncWeek
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from packages.models import Package, PackageStatus, Priority, Source

from .aggregates import Minutes, Percentile

FILL_TARGETS = {"within_90_minutes_percent": 70, "within_4_hours_percent": 97}
NO_HOURS = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=2))


def _in_scope(queryset, scope, zone_field="zone_id"):
    if scope.zone_ids is None:
        return queryset
    return queryset.filter(**{f"{zone_field}__in": scope.zone_ids})


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _round(value):
    return None if value is None else round(value, 1)


# --- Unfilled now ------------------------------------------------------------

# Still in hospital: a discharge referral never placed yet (one handed back
# had gone home with care, so its wait is no longer a delayed discharge).
_IN_HOSPITAL = Q(source=Source.HOSPITAL_DISCHARGE) & (
    Q(waiting_since__isnull=True) | Q(waiting_since=F("submitted_at"))
)
_UNFILLED_MEASURES = {
    "packages": Count("pk"),
    "hours": Coalesce(Sum("weekly_hours"), NO_HOURS),
    "people": Count("person_id", distinct=True),
    "waiting_from": Min(Coalesce("waiting_since", "submitted_at")),
    "hospital_people": Count("person_id", distinct=True, filter=_IN_HOSPITAL),
    # A person is ready to leave hospital from the day the ward says so, or
    # failing that from the day the referral was submitted.
    "hospital_waiting_since": Min(
        Coalesce("hospital_ready_on", TruncDate("submitted_at")), filter=_IN_HOSPITAL
    ),
}


def unfilled_by_zone(scope):
    """Open (unfilled) packages now, per zone in scope and in total.

    People are distinct persons: someone with two open packages counts once
    (in the total too). Drafts, placed, ended and cancelled packages are not
    unfilled. Zones with nothing unfilled are listed with zeros.
    """
    open_packages = _in_scope(Package.objects.filter(status=PackageStatus.OPEN), scope)
    by_zone = {
        row.pop("zone_id"): row
        for row in open_packages.order_by().values("zone_id").annotate(**_UNFILLED_MEASURES)
    }
    now = timezone.now()
    zones = [
        {"zone": code, "name": name, **_unfilled_numbers(by_zone.get(pk), now, scope.today)}
        for pk, code, name in scope.zones().order_by("code").values_list("pk", "code", "name")
    ]
    total = _unfilled_numbers(open_packages.aggregate(**_UNFILLED_MEASURES), now, scope.today)
    return {"zones": zones, "total": total}


def _unfilled_numbers(row, now, today):
    row = row or {}
    first = row.get("waiting_from")
    hospital_since = row.get("hospital_waiting_since")
    return {
        "packages": row.get("packages", 0),
        "hours": row.get("hours") or Decimal("0.00"),
        "people": row.get("people", 0),
        "longest_wait_hours": _round((now - first).total_seconds() / 3600) if first else None,
        "hospital_people": row.get("hospital_people", 0),
        "hospital_longest_days": max((today - hospital_since).days, 0) if hospital_since else None,
    }


# --- Time to fill --------------------------------------------------------------

_TO_FILL = Minutes("submitted_at", "placed_at")
_FILL_MEASURES = {
    "placed": Count("pk"),
    "within_90": Count("pk", filter=LessThanOrEqual(_TO_FILL, 90)),
    "within_240": Count("pk", filter=LessThanOrEqual(_TO_FILL, 240)),
    "median": Percentile(_TO_FILL, 0.5),
    "p90": Percentile(_TO_FILL, 0.9),
}


def _placed_in(scope):
    placed = Package.objects.filter(
        placed_at__gte=scope.start, placed_at__lt=scope.end, submitted_at__isnull=False
    )
    return _in_scope(placed, scope)


def _fill_numbers(row):
    row = row or {}
    placed = row.get("placed", 0)
    return {
        "placed": placed,
        "within_90_minutes_percent": _percent(row.get("within_90", 0), placed),
        "within_4_hours_percent": _percent(row.get("within_240", 0), placed),
        "median_minutes": _round(row.get("median")),
        "p90_minutes": _round(row.get("p90")),
    }


def time_to_fill(scope):
    """Submitted to placed, for packages placed between `since` and `until` (UK dates)."""
    return _fill_numbers(_placed_in(scope).aggregate(**_FILL_MEASURES))


def time_to_fill_by_zone(scope):
    """Time to fill per zone in scope (zones with no placement have zero placed)."""
    rows = {
        row["zone_id"]: row
        for row in _placed_in(scope).order_by().values("zone_id").annotate(**_FILL_MEASURES)
    }
    return [
        {"zone": code, "name": name, **_fill_numbers(rows.get(pk))}
        for pk, code, name in scope.zones().order_by("code").values_list("pk", "code", "name")
    ]


def time_to_fill_by_priority(scope):
    """Time to fill for urgent and for standard packages."""
    rows = {
        row["priority"]: row
        for row in _placed_in(scope).order_by().values("priority").annotate(**_FILL_MEASURES)
    }
    return [
        {"priority": value, "label": label, **_fill_numbers(rows.get(value))}
        for value, label in Priority.choices
    ]


def time_to_fill_by_week(scope):
    """Time to fill week by week (weeks start on Monday, in the UK)."""
    rows = {
        timezone.localtime(row["week"]).date(): row
        for row in _placed_in(scope)
        .order_by()
        .annotate(week=TruncWeek("placed_at"))
        .values("week")
        .annotate(**_FILL_MEASURES)
    }
    monday = scope.since - datetime.timedelta(days=scope.since.weekday())
    weeks = []
    while monday <= scope.until:
        weeks.append({"week_start": monday, **_fill_numbers(rows.get(monday))})
        monday += datetime.timedelta(weeks=1)
    return weeks
