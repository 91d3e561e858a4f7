"""A package's schedule: the versions of its visits and flexible plan."""

from decimal import Decimal

from core import audit, clock

from .. import validation
from ..models import FlexiblePlan, PackageVersion, Visit


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
