"""A package's schedule: the versions of its visits and flexible plan, and which is in force.

A draft's or an open package's visits are edited in place; once a provider has
cared for it, a change is a new version from a date, the earlier ones kept. The
package's `weekly_hours` follows the version in force today: set when a change
is recorded, and by `bring_changes_into_force` (a periodic job, looking at the
versions whose first day has come) as the days pass.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from core import audit, clock

from .. import validation
from ..models import FlexiblePlan, Package, PackageVersion, Visit


def schedule_errors(visits, flexible_plan) -> dict[str, list[str]]:
    """Every rule the visits and flexible plan break, by field ({} when they are fine)."""
    errors = {}
    try:
        validation.check_visit_count(visits)
    except ValidationError as error:
        errors["visits"] = error.messages
    for number, visit in enumerate(visits, start=1):
        for field, messages in validation.visit_errors(visit).items():
            errors.setdefault("visits", []).extend(
                f"Visit {number}, {field}: {message}" for message in messages
            )
    if flexible_plan is not None:
        try:
            validation.check_week_hours(flexible_plan.get("week_hours") or [])
            validation.check_contingency(Decimal(str(flexible_plan.get("contingency_hours") or 0)))
        except ValidationError as error:
            errors["flexible_plan"] = error.messages
    return errors


def new_version(*, by, package, number, effective_from=None, reason="") -> PackageVersion:
    """A version of the package's schedule, its visits to follow (`record_schedule`)."""
    version = PackageVersion.objects.create(
        package=package,
        number=number,
        effective_from=effective_from,
        reason=reason,
        in_force=effective_from is None or effective_from <= clock.today(),
        created_at=clock.now(),
        created_by=by,
    )
    audit.record(by=by, obj=version, action=audit.CREATE, changes=audit.created(version))
    return version


def record_schedule(*, by, version, visits, flexible_plan) -> PackageVersion:
    """Give `version` its visits and flexible plan (checked already), and their weekly hours."""
    for visit in visits:
        planned = Visit.objects.create(
            version=version,
            days=validation.clean_days(visit["days"]),
            time=visit["time"],
            duration_minutes=visit["duration_minutes"],
            carers=visit.get("carers", 1),
            purpose=visit["purpose"],
        )
        audit.record(by=by, obj=planned, action=audit.CREATE, changes=audit.created(planned))
    if flexible_plan is not None:
        weeks = validation.check_week_hours(flexible_plan["week_hours"])
        plan = FlexiblePlan.objects.create(
            version=version,
            week1_hours=weeks[0],
            week2_hours=weeks[1],
            week3_hours=weeks[2],
            week4_hours=weeks[3],
            contingency_hours=Decimal(str(flexible_plan.get("contingency_hours") or 0)),
        )
        audit.record(by=by, obj=plan, action=audit.CREATE, changes=audit.created(plan))
    version.weekly_hours = validation.weekly_carer_hours(visits)
    version.save(update_fields=["weekly_hours"])
    return version


def replace_schedule(*, by, version, visits, flexible_plan) -> PackageVersion:
    """Put new visits and plan in place of `version`'s own (a draft's or an open package's,
    which no provider has cared for by them)."""
    for planned in version.visits.all():
        audit.record(by=by, obj=planned, action=audit.DELETE)
    version.visits.all().delete()
    plan = getattr(version, "flexible_plan", None)
    if plan is not None:
        audit.record(by=by, obj=plan, action=audit.DELETE)
        plan.delete()
        del version.flexible_plan
    return record_schedule(by=by, version=version, visits=visits, flexible_plan=flexible_plan)


def follow_today(package: Package, *, by=None) -> bool:
    """Bring the package (locked) in step with the version in force today: its weekly hours,
    and every version whose first day has come marked in force. True if the hours changed."""
    today = clock.today()
    due = [v.pk for v in package.versions.all() if not v.in_force and v.effective_from <= today]
    if due:
        PackageVersion.objects.filter(pk__in=due).update(in_force=True)
    hours = package.version_on(today).weekly_hours
    if hours == package.weekly_hours:
        return False
    before = audit.snapshot(package)
    package.weekly_hours = hours
    package.save(update_fields=["weekly_hours", "updated_at"])
    audit.record(by=by, obj=package, changes=audit.changed(before, package))
    return True


def bring_changes_into_force() -> int:
    """Every package with a change whose first day has come follows it now; answers how many.

    Looks at state (versions not yet in force whose day has come), so a missed run is
    caught by the next.
    """
    due = (
        PackageVersion.objects.filter(in_force=False, effective_from__lte=clock.today())
        .values_list("package_id", flat=True)
        .distinct()
    )
    brought = 0
    for package_id in sorted(set(due)):
        with transaction.atomic():
            package = Package.objects.select_for_update().get(pk=package_id)
            follow_today(package)
            brought += 1
    return brought
