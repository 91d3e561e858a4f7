"""Changing a package after it is recorded: a draft or an open package edited, a placed one
changed from a date.

- A draft takes any field of the referral; an open package its visits, flexible plan,
  priority, start date and needs, and brokering starts a new round with them (its
  pending offers withdrawn: brokering hears `package_edited`).
- A placed package is changed from a date (a variation): a new version of its visits,
  the earlier ones kept for the days before it, and its providers told.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from core import audit, clock
from core.errors import Conflict
from core.formats import date_text, hours_text
from core.permissions import may_broker_zone
from zones.postcodes import normalise_postcode
from zones.selectors import zone_for_postcode

from .. import free_text, notices, signals, validation
from ..commissioned import keeps_step
from ..models import PERSON_IDENTITY, EventKind, Package, PackageStatus, Source
from ..nhs import normalise_nhs_number
from .lifecycle import record_event
from .referrals import OUTSIDE_YOUR_ZONES, person_for_referral, referrer_fields
from .schedules import (
    follow_today,
    new_version,
    record_schedule,
    replace_schedule,
    schedule_errors,
)

# How far ahead a change may be dated: a provider has that long to plan its carers.
CHANGE_AHEAD_DAYS = 28
# The package fields of the referral (besides its person, referrer and schedule).
PACKAGE_FIELDS = (
    "source",
    "priority",
    "start_date",
    "hospital_ready_on",
    "needs",
    "preferences",
    "goals",
)
SCHEDULE_FIELDS = ("visits", "flexible_plan")
# What an open package still takes: its offers are sent again with the new details.
OPEN_FIELDS = ("visits", "flexible_plan", "priority", "start_date", "needs")
FIELD_NAMES = {
    "person": "person",
    "source": "source",
    "priority": "priority",
    "start_date": "start date",
    "hospital_ready_on": "date ready to leave hospital",
    "needs": "care needs",
    "referrer": "referrer",
    "preferences": "preferences",
    "goals": "goals",
    "visits": "visits",
    "flexible_plan": "flexible plan",
}
FIXED_ONCE_OPEN = (
    "An open package takes changes to its visits, flexible plan, priority, start date and "
    "needs only: cancel it and record it again to change this."
)


@keeps_step
def edit_package(*, by, package_id, changes: dict, update_person: bool = False) -> Package:
    """Change a draft (any field of the referral) or an open package (OPEN_FIELDS).

    `changes` has the referral's shape, only the fields that change: `person` (a
    dict of its fields), source, priority, start_date, hospital_ready_on, needs,
    referrer, preferences, goals, visits and flexible_plan (None removes the plan). A changed person follows
    the referral's rules (`person_for_referral`). An open package starts a new
    brokering round. Placed, ended and cancelled packages are a Conflict (a placed
    one changes from a date: `change_package`).
    """
    with transaction.atomic():
        package = Package.objects.select_for_update().select_related("person").get(pk=package_id)
        require_editable(package, changes)
        visits, plan = _schedule_after(package, changes)
        _check_edit(by, package, changes, visits, plan)
        before = audit.snapshot(package)
        if "person" in changes:
            _repoint_person(by, package, changes["person"], update_person)
        for field in PACKAGE_FIELDS:
            if field in changes:
                setattr(package, field, changes[field])
        if "referrer" in changes:
            for field, value in referrer_fields(changes["referrer"]).items():
                setattr(package, field, value)
        package.needs, package.preferences = package.needs or "", package.preferences or ""
        package.goals = list(dict.fromkeys(package.goals or []))
        if package.source != Source.HOSPITAL_DISCHARGE:
            package.hospital_ready_on = None
        if set(SCHEDULE_FIELDS) & changes.keys():
            _reschedule(by, package, visits, plan)
        package.weekly_hours = package.version_on(clock.today()).weekly_hours
        package.review_due_on = package.first_review_due_on  # not yet placed: never reviewed
        package.save()
        audit.record(by=by, obj=package, changes=audit.changed(before, package))
        named = ", ".join(FIELD_NAMES[field] for field in FIELD_NAMES if field in changes)
        record_event(
            package_id=package.pk, kind=EventKind.UPDATED, by=by, detail=f"Changed: {named}"
        )
        if package.status == PackageStatus.OPEN:
            _start_new_round(by, package)
    return package


def require_editable(package, changes=()) -> None:
    """Conflict unless the package is a draft, or open and `changes` only OPEN_FIELDS."""
    if package.status == PackageStatus.PLACED:
        raise Conflict(
            f"Package {package.pk} is placed: change its visits from a date instead "
            "(its provider is told what changes)."
        )
    if package.status not in (PackageStatus.DRAFT, PackageStatus.OPEN):
        raise Conflict(f"Package {package.pk} is {package.get_status_display().lower()}.")
    if package.status == PackageStatus.OPEN:
        fixed = sorted(set(changes) - set(OPEN_FIELDS))
        if fixed:
            raise ValidationError({field: [FIXED_ONCE_OPEN] for field in fixed})


def _schedule_after(package, changes):
    """The visits and plan the package will have: those changed, else its current ones."""
    current = package.version_on(clock.today())
    visits = changes["visits"] if "visits" in changes else current.visit_specs()
    if "flexible_plan" in changes:
        plan = changes["flexible_plan"]
    else:
        plan = getattr(current, "flexible_plan", None)
        plan = plan and {"week_hours": plan.week_hours, "contingency_hours": plan.contingency_hours}
    return visits, plan


def _check_edit(by, package, changes, visits, plan):
    """Every rule the changed fields break, by field; raises ValidationError naming them."""
    errors = schedule_errors(visits, plan) if set(SCHEDULE_FIELDS) & changes.keys() else {}
    for field, what in (("start_date", "start date"), ("hospital_ready_on", "date ready to leave")):
        try:
            if changes.get(field) is not None:
                validation.check_near_today(changes[field], what=what)
        except ValidationError as error:
            errors[field] = error.messages
    if "start_date" in changes and changes["start_date"] is None:
        errors["start_date"] = ["Enter the start date."]
    if "source" in changes and changes["source"] not in Source.values:
        errors["source"] = ["Choose where the referral comes from."]
    if changes.get("needs"):
        person = {field: getattr(package.person, field) for field in PERSON_IDENTITY}
        try:
            free_text.check_needs(changes["needs"], person | changes.get("person", {}))
        except ValidationError as error:
            errors["needs"] = error.messages
    if "person" in changes:
        errors |= _person_errors(by, changes["person"])
    if errors:
        raise ValidationError(errors)


def _person_errors(by, person):
    errors = {}
    if "nhs_number" in person:
        try:
            person["nhs_number"] = normalise_nhs_number(person["nhs_number"])
        except ValidationError as error:
            errors["nhs_number"] = error.messages
    if "postcode" in person:
        try:
            person["postcode"] = normalise_postcode(person["postcode"])
            zone = zone_for_postcode(person["postcode"])
            if not may_broker_zone(by, zone):
                raise ValidationError(OUTSIDE_YOUR_ZONES.format(zone=zone.code))
        except ValidationError as error:
            errors["postcode"] = error.messages
    if person.get("date_of_birth") is not None:
        try:
            validation.check_date_of_birth(person["date_of_birth"])
        except ValidationError as error:
            errors["date_of_birth"] = error.messages
    return (
        {"person": [f"{field}: {m}" for field, ms in errors.items() for m in ms]} if errors else {}
    )


def _repoint_person(by, package, person, update_person):
    """The draft's person with the changed fields. A record only this draft refers to is
    the draft's own, corrected as the broker types; otherwise the referral's rules apply
    (another person's record when the NHS number changes; a shared record changed only
    on purpose, `person_for_referral`)."""
    own = package.person
    details = {field: getattr(own, field) for field in PERSON_IDENTITY} | person
    if details["nhs_number"] == own.nhs_number and not own.packages.exclude(pk=package.pk):
        before = audit.snapshot(own)
        for field, value in person.items():
            setattr(own, field, value)
        own.save()
        audit.record(by=by, obj=own, changes=audit.changed(before, own))
    else:
        nhs_number = details.pop("nhs_number")
        package.person, _ = person_for_referral(by, nhs_number, details, update=update_person)
    package.zone = zone_for_postcode(package.person.postcode)


def _reschedule(by, package, visits, plan):
    """Before any provider has cared for it, the package's first version is edited in place.
    After (an open package handed back), the new visits hold from today (or its start),
    in place of any change dated later, which never came into force."""
    versions = list(package.versions.all())
    if not package.placements.exists():
        replace_schedule(by=by, version=versions[0], visits=visits, flexible_plan=plan)
        return
    today = clock.today()
    for later in (v for v in versions if v.effective_from and v.effective_from > today):
        audit.record(by=by, obj=later, action=audit.DELETE)
        later.delete()
    version = new_version(
        by=by,
        package=package,
        number=max(v.number for v in versions) + 1,
        effective_from=max(package.start_date, today),
        reason="Changed while open",
    )
    record_schedule(by=by, version=version, visits=visits, flexible_plan=plan)


def _start_new_round(by, package):
    """An open package changed: its offers go out again as it is now."""
    before = audit.snapshot(package)
    package.brokering_round += 1
    package.escalated, package.escalated_at = False, None
    package.save(update_fields=["brokering_round", "escalated", "escalated_at", "updated_at"])
    audit.record(by=by, obj=package, changes=audit.changed(before, package))
    signals.package_edited.send(sender=Package, package_id=package.pk)


@keeps_step
def change_package(*, by, package_id, effective_from, visits, flexible_plan=None, reason):
    """A placed package follows new visits from `effective_from` (a variation): a new version,
    between its start date and 28 days ahead. The days before keep the schedule then in
    force; its weekly hours follow today's; its providers are told (`package_changed`).
    Answers the new version."""
    reason = (reason or "").strip()
    errors = schedule_errors(visits, flexible_plan)
    if not reason:
        errors["reason"] = ["Say why the visits change."]
    with transaction.atomic():
        package = Package.objects.select_for_update().get(pk=package_id)
        if package.status != PackageStatus.PLACED:
            raise Conflict(
                f"Package {package.pk} is {package.get_status_display().lower()}: only a "
                "placed package changes from a date (edit a draft or an open one)."
            )
        try:
            _check_effective_from(package, effective_from)
        except ValidationError as error:
            errors["effective_from"] = error.messages
        if errors:
            raise ValidationError(errors)
        hours_before = package.version_on(effective_from).weekly_hours
        number = package.versions.aggregate(last=Max("number"))["last"] + 1
        version = new_version(
            by=by, package=package, number=number, effective_from=effective_from, reason=reason
        )
        record_schedule(by=by, version=version, visits=visits, flexible_plan=flexible_plan)
        follow_today(package, by=by)
        record_event(
            package_id=package.pk,
            kind=EventKind.CHANGED,
            by=by,
            detail=f"From {date_text(effective_from)}: {hours_text(version.weekly_hours)} hours "
            f"a week (was {hours_text(hours_before)}). {reason}",
        )
        notices.package_changed(package, version, hours_before)
    return version


def _check_effective_from(package, effective_from):
    if effective_from is None:
        raise ValidationError("Enter the date the change starts.")
    latest = clock.today() + datetime.timedelta(days=CHANGE_AHEAD_DAYS)
    if not package.start_date <= effective_from <= latest:
        raise ValidationError(
            f"The change must start between the package's start date "
            f"({date_text(package.start_date)}) and {CHANGE_AHEAD_DAYS} days ahead "
            f"({date_text(latest)})."
        )
