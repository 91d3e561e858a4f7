"""Recording delivered visits from electronic call monitoring: one record, or a whole file.

Each record is checked against its package (placed with the caller's provider,
dated from the package's start up to today, not already recorded), matched to
the planned visit it fulfils and priced by the pay rule. A file is all or
nothing: any bad row rejects it, naming every bad row. What the visits deliver is
added to the daily delivery rollup (invoicing.rollup) in the same transaction.
"""

from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import Role
from core import clock
from packages.selectors import versions
from providers.models import Provider

from .. import ecm, pay, rollup, schedule
from ..models import DeliveredVisit
from ..permissions import VISIT_RECORDERS, recordable_packages_for


class VisitImportRejected(ValidationError):
    """A file with bad rows: `rows` lists {"row": n, "errors": {"field": ["message"]}}."""

    def __init__(self, rows):
        self.rows = rows
        super().__init__({"file": [_row_message(row) for row in rows]})


def _row_message(row):
    details = "; ".join(
        f"{field}: {' '.join(messages)}" for field, messages in row["errors"].items()
    )
    return f"Row {row['row']}: {details}"


def record_visit(*, by, record: dict) -> DeliveredVisit:
    """Record one delivered visit; ValidationError naming the field if it is wrong."""
    try:
        (visit,) = _record(by=by, records=[(None, record)])
    except VisitImportRejected as rejected:
        raise ValidationError(rejected.rows[0]["errors"]) from None
    return visit


def import_visits(*, by, records: list[tuple[int, dict]]) -> list[DeliveredVisit]:
    """Record every (row number, record) of a file, or none: VisitImportRejected names the rows."""
    return _record(by=by, records=records)


def _record(*, by, records):
    if not (by and by.is_authenticated and by.role in VISIT_RECORDERS):
        raise PermissionDenied
    parsed, rows = _parse(records)
    with transaction.atomic():
        packages = _lock_packages(by, {clean["package"] for _, clean in parsed})
        checked = _check(by, parsed, packages, rows)
        if rows:
            raise VisitImportRejected(sorted(rows.values(), key=lambda row: row["row"] or 0))
        visits = DeliveredVisit.objects.bulk_create(_priced(by, checked, packages))
        rollup.add_visits(visits)
        return visits


def _parse(records):
    """Field by field: [(row, cleaned)] and {row: {"row", "errors"}} for those that fail."""
    parsed, rows = [], {}
    for row, data in records:
        clean, errors = ecm.parse_record(data)
        if errors:
            rows[row] = {"row": row, "errors": errors}
        else:
            parsed.append((row, clean))
    return parsed, rows


def _lock_packages(by, package_ids):
    """The packages the user may record for, with their plans; their providers are locked so
    that two uploads for one provider are checked and matched one after the other."""
    packages = {
        package.pk: package
        for package in recordable_packages_for(by)
        .filter(pk__in=package_ids)
        .select_related("provider")
        .prefetch_related(versions())
    }
    provider_ids = sorted({package.provider_id for package in packages.values()})
    list(Provider.objects.select_for_update().filter(pk__in=provider_ids).order_by("pk"))
    return packages


def _check(by, parsed, packages, rows):
    """Records that pass every check against their package, in time order; errors into `rows`."""
    today = clock.today()
    seen = _recorded_keys(parsed)
    checked = []
    for row, clean in parsed:
        package = packages.get(clean["package"])
        errors = _errors(by, clean, package, today, seen)
        if errors:
            rows[row] = {"row": row, "errors": errors}
            continue
        seen.add((package.pk, clean["date"], clean["actual_start"]))
        checked.append(clean)
    return sorted(
        checked, key=lambda clean: (clean["package"], clean["date"], clean["actual_start"])
    )


def _recorded_keys(parsed):
    """(package, date, start) of the visits already recorded for these packages and dates."""
    if not parsed:
        return set()
    dates = [clean["date"] for _, clean in parsed]
    return set(
        DeliveredVisit.objects.filter(
            package_id__in={clean["package"] for _, clean in parsed},
            date__range=(min(dates), max(dates)),
            actual_start__isnull=False,
        ).values_list("package_id", "date", "actual_start")
    )


def _errors(by, clean, package, today, seen):
    if package is None:
        whose = "a provider" if by.role == Role.ADMIN else "your organisation"
        return {"package": [f"Package {clean['package']} is not placed with {whose}."]}
    day = clean["date"]
    if day < package.start_date:
        return {"date": [f"Before the package started on {package.start_date:%Y-%m-%d}."]}
    if day > today:
        return {"date": [f"After today ({today:%Y-%m-%d}): record visits once delivered."]}
    if package.ended_on and day > package.ended_on:
        return {"date": [f"After the package ended on {package.ended_on:%Y-%m-%d}."]}
    if (package.pk, day, clean["actual_start"]) in seen:
        return {
            "actual_start": [
                f"A visit to package {package.pk} on {day:%Y-%m-%d} at "
                f"{clean['actual_start']:%H:%M} is already recorded."
            ]
        }
    return {}


def _priced(by, checked, packages):
    """DeliveredVisit rows: each matched to the nearest planned visit of its day not yet
    fulfilled, flagged, and priced by its provider's pay rule."""
    fulfilled = _fulfilled(checked)
    now = clock.now()
    visits = []
    for clean in checked:
        package = packages[clean["package"]]
        planned = _match(package, clean, fulfilled[(package.pk, clean["date"])])
        if planned is not None:
            fulfilled[(package.pk, clean["date"])].add(planned.pk)
        visits.append(
            _delivered(package, planned, clean, DeliveredVisit(recorded_at=now, recorded_by=by))
        )
    return visits


def _fulfilled(checked):
    """{(package, date): {planned visit ids already fulfilled by a recorded visit}}."""
    fulfilled = defaultdict(set)
    if not checked:
        return fulfilled
    dates = [clean["date"] for clean in checked]
    rows = DeliveredVisit.objects.filter(
        package_id__in={clean["package"] for clean in checked},
        date__range=(min(dates), max(dates)),
        actual_start__isnull=False,
        planned_visit__isnull=False,
    ).values_list("package_id", "date", "planned_visit_id")
    for package_id, day, planned_id in rows:
        fulfilled[(package_id, day)].add(planned_id)
    return fulfilled


def _match(package, clean, taken):
    """The planned visit on that weekday nearest in time to the actual start, not yet taken."""
    planned = schedule.planned_visits_on(package, clean["date"])
    candidates = [visit for visit in planned if visit.pk not in taken]
    return min(
        candidates,
        key=lambda v: (abs(pay.minutes_after(v.time, clean["actual_start"])), v.time, v.pk),
        default=None,
    )


def _delivered(package, planned, clean, visit):
    terms = pay.PayTerms.of(package.provider)
    day = clean["date"]
    actual = pay.actual_minutes(day, clean["actual_start"], clean["actual_end"])
    visit.package, visit.provider_id = package, package.provider_id
    visit.zone_id, visit.base_rate = package.zone_id, terms.hourly_rate
    visit.date, visit.carers = day, clean["carers"]
    visit.actual_start, visit.actual_end = clean["actual_start"], clean["actual_end"]
    visit.actual_minutes = actual
    visit.missed = actual == 0
    if planned is not None:
        planned_minutes = pay.planned_minutes_on(day, planned.time, planned.duration_minutes)
        visit.planned_visit, visit.planned_start = planned, planned.time
        visit.planned_minutes, visit.planned_carers = planned_minutes, planned.carers
        per_carer = pay.payable_minutes(actual=actual, planned=planned_minutes, terms=terms)
        carers = pay.paid_carers(delivered=clean["carers"], planned=planned.carers)
        visit.short = not visit.missed and (
            per_carer < planned_minutes or clean["carers"] < planned.carers
        )
        visit.late = pay.minutes_after(planned.time, clean["actual_start"]) > pay.LATE_AFTER_MINUTES
    else:
        # Not in the schedule: only a flexible plan pays for it (within its 4-week cap).
        visit.unplanned = True
        flexible = schedule.plan_on(package, clean["date"]) is not None
        per_carer = pay.payable_minutes(actual=actual, planned=None, terms=terms) if flexible else 0
        carers = clean["carers"]
    visit.payable_minutes = per_carer * carers
    return visit
