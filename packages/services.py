"""Everything that changes a person or a package: one transaction each, taking the acting user.

A status change locks the package row and checks the one transition map
(`models.TRANSITIONS`): an action the status forbids raises
`core.errors.Conflict`. Brokerage hears of submits, hand-backs and
cancellations through `packages.signals`, sent inside the transaction (its
receivers enqueue work with `transaction.on_commit`).
"""

import datetime
import ipaddress
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core import audit, clock
from core.errors import Conflict
from core.permissions import may_broker_zone
from zones.postcodes import normalise_postcode
from zones.selectors import zone_for_postcode

from . import free_text, signals, validation
from .models import (
    PERSON_IDENTITY,
    TRANSITIONS,
    EventKind,
    FlexiblePlan,
    HandBack,
    Package,
    PackageEvent,
    PackageStatus,
    PackageVersion,
    Person,
    PersonAccess,
    Placement,
    Priority,
    Source,
    Visit,
)
from .nhs import normalise_nhs_number
from .permissions import may_change_person

OUTSIDE_YOUR_ZONES = "This postcode is in zone {zone}, outside the zones you broker."
PAST_TENSE = {
    "submit": "submitted",
    "cancel": "cancelled",
    "place": "placed",
    "hand_back": "handed back",
    "end": "ended",
}


def create_package(
    *,
    by,
    person: dict,
    package: dict,
    visits: list[dict],
    flexible_plan: dict | None = None,
    update_person: bool = False,
) -> Package:
    """Record a referral as a draft package for the person with its NHS number.

    `person`: nhs_number, given_name, family_name, date_of_birth, address_line,
    postcode. `package`: source, priority, start_date, and optionally
    hospital_ready_on and needs. `visits`: days, time, duration_minutes,
    carers, purpose. `flexible_plan`: week_hours (four) and contingency_hours.
    A known NHS number joins the person already recorded, whose details change
    only with `update_person` (see `_person_for_referral`).
    Raises ValidationError naming the field for any broken rule; saves nothing then.
    """
    nhs_number, postcode, zone = _check_referral(
        by=by, person=person, package=package, visits=visits, flexible_plan=flexible_plan
    )
    with transaction.atomic():
        person_row, updated = _person_for_referral(
            by, nhs_number, {**person, "postcode": postcode}, update=update_person
        )
        source = package["source"]
        created = Package.objects.create(
            person=person_row,
            zone=zone,
            source=source,
            priority=package.get("priority") or Priority.STANDARD,
            start_date=package["start_date"],
            hospital_ready_on=(
                package.get("hospital_ready_on") if source == Source.HOSPITAL_DISCHARGE else None
            ),
            needs=package.get("needs") or "",
            weekly_hours=validation.weekly_carer_hours(visits),
            created_by=by,
        )
        audit.record(by=by, obj=created, action=audit.CREATE, changes=audit.created(created))
        first = _new_version(by=by, package=created, number=1)
        _record_schedule(by=by, version=first, visits=visits, flexible_plan=flexible_plan)
        record_event(package_id=created.pk, kind=EventKind.CREATED, by=by)
        if updated:
            record_event(
                package_id=created.pk,
                kind=EventKind.UPDATED,
                by=by,
                detail=f"The person's {_listed(updated)} updated from this referral",
            )
    return created


class PersonDiffers(ValidationError):
    """A referral's details differ from the person recorded with its NHS number.

    Its error dict names each differing field (never the recorded value, which
    the broker may not be allowed to see); `fields` lists them.
    """

    def __init__(self, fields):
        self.fields = fields
        super().__init__(
            {field: [PERSON_DIFFERS.format(what=PERSON_FIELD_NAMES[field])] for field in fields}
        )


PERSON_FIELD_NAMES = {
    "given_name": "given name",
    "family_name": "family name",
    "date_of_birth": "date of birth",
    "address_line": "address",
    "postcode": "postcode",
}
PERSON_DIFFERS = (
    "The {what} differs from the record of the person with this NHS number. "
    "Check the NHS number and that this is the same person; only then confirm the update "
    "of their record."
)
MAY_NOT_UPDATE_PERSON = (
    "You cannot change this person's record: they have live packages that you do not "
    "see. Ask a broker who works in every zone of their packages to check it."
)


def _person_for_referral(by, nhs_number, details, *, update) -> tuple[Person, list[str]]:
    """The person the referral is about, and which of their fields it changed.

    A new NHS number records a new person. A known one joins the person already
    recorded and never edits them silently: details that differ raise
    PersonDiffers, unless `update` confirms the broker means to change the
    record, which only someone who sees every live package of that person may
    do (others would overwrite a record they cannot see). The change is audited
    with its before and after.
    """
    fields = {field: details[field] for field in PERSON_IDENTITY if field != "nhs_number"}
    person = Person.objects.select_for_update().filter(nhs_number=nhs_number).first()
    if person is None:
        try:
            with transaction.atomic():  # A savepoint: a referral at the same moment may win.
                person = Person.objects.create(nhs_number=nhs_number, **fields)
        except IntegrityError:
            person = Person.objects.select_for_update().get(nhs_number=nhs_number)
        else:
            audit.record(by=by, obj=person, action=audit.CREATE, changes=audit.created(person))
            return person, []
    differing = [
        field for field, value in fields.items() if not _same(getattr(person, field), value)
    ]
    if not differing:
        return person, []
    if not update:
        raise PersonDiffers(differing)
    if not may_change_person(by, person):
        raise ValidationError({"update_person": [MAY_NOT_UPDATE_PERSON]})
    before = audit.snapshot(person)
    for field in differing:
        setattr(person, field, fields[field])
    person.save()
    audit.record(by=by, obj=person, changes=audit.changed(before, person))
    return person, [PERSON_FIELD_NAMES[field] for field in differing]


def _same(recorded, given) -> bool:
    """Equal, ignoring case and spacing in text: "MARY  Smith" is the record's "Mary Smith"."""
    if isinstance(recorded, str):
        return " ".join(recorded.split()).casefold() == " ".join(str(given).split()).casefold()
    return recorded == given


def _listed(labels):
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _new_version(*, by, package, number, effective_from=None, reason="") -> PackageVersion:
    """A version of the package's schedule, its visits to follow (`_record_schedule`)."""
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


def _record_schedule(*, by, version, visits, flexible_plan) -> PackageVersion:
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


def _check_referral(*, by, person, package, visits, flexible_plan):
    """Every rule of a referral; returns the NHS number, postcode and zone, or raises."""
    errors = {}
    nhs_number = postcode = zone = None
    try:
        nhs_number = normalise_nhs_number(person.get("nhs_number"))
    except ValidationError as error:
        errors["nhs_number"] = error.messages
    try:
        postcode = normalise_postcode(person.get("postcode"))
        zone = zone_for_postcode(postcode)
        if not may_broker_zone(by, zone):
            raise ValidationError(OUTSIDE_YOUR_ZONES.format(zone=zone.code))
    except ValidationError as error:
        errors["postcode"] = error.messages
    try:
        validation.check_date_of_birth(person["date_of_birth"])
    except ValidationError as error:
        errors["date_of_birth"] = error.messages
    for field, what in (("start_date", "start date"), ("hospital_ready_on", "date ready to leave")):
        try:
            if package.get(field) is not None:
                validation.check_near_today(package[field], what=what)
        except ValidationError as error:
            errors[field] = error.messages
    try:
        free_text.check_needs(package.get("needs") or "", {**person, "nhs_number": nhs_number})
    except ValidationError as error:
        errors["needs"] = error.messages
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
    if package.get("source") not in Source.values:
        errors["source"] = ["Choose where the referral comes from."]
    if errors:
        raise ValidationError(errors)
    return nhs_number, postcode, zone


def record_event(*, package_id, kind, by=None, provider=None, detail="") -> PackageEvent:
    """Add an entry to the package's timeline."""
    return PackageEvent.objects.create(
        package_id=package_id,
        kind=kind,
        at=clock.now(),
        by=by,
        provider_id=getattr(provider, "pk", provider),
        detail=detail,
    )


def _locked(package_id, action) -> Package:
    """The package row, locked, if its status allows `action`; Conflict otherwise."""
    package = Package.objects.select_for_update().get(pk=package_id)
    if not package.allows(action):
        raise Conflict(
            f"This package is {package.get_status_display().lower()}: "
            f"it cannot be {PAST_TENSE[action]}."
        )
    return package


def _move(package, action, *, by, **changes) -> Package:
    """Take `package` (locked) through `action`, with the fields that change with it, audited."""
    before = audit.snapshot(package)
    package.status = TRANSITIONS[action][1]
    for field, value in changes.items():
        setattr(package, field, value)
    package.save(update_fields=["status", *changes, "updated_at"])
    audit.record(by=by, obj=package, changes=audit.changed(before, package))
    return package


def _required_reason(reason) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Give a reason."]})
    return reason


@transaction.atomic
def submit_package(*, package_id, by) -> Package:
    """Draft -> open: brokering starts (brokering reacts to `package_submitted`)."""
    package = _locked(package_id, "submit")
    now = clock.now()
    _move(
        package,
        "submit",
        by=by,
        submitted_at=now,
        waiting_since=now,
        brokering_round=package.brokering_round + 1,
        escalated=False,
        escalated_at=None,
    )
    record_event(package_id=package.pk, kind=EventKind.SUBMITTED, by=by)
    signals.package_submitted.send(sender=Package, package_id=package.pk)
    return package


@transaction.atomic
def cancel_package(*, package_id, by, reason) -> Package:
    """Draft or open -> cancelled, with the reason on the timeline."""
    reason = _required_reason(reason)
    package = _locked(package_id, "cancel")
    _move(
        package,
        "cancel",
        by=by,
        cancelled_at=clock.now(),
        cancel_reason=reason,
        escalated=False,
        escalated_at=None,
    )
    record_event(package_id=package.pk, kind=EventKind.CANCELLED, by=by, detail=reason)
    signals.package_cancelled.send(sender=Package, package_id=package.pk)
    return package


@transaction.atomic
def hand_back_package(*, package_id, by, reason) -> Package:
    """Placed -> open again: the provider returns it and brokering restarts without it."""
    reason = _required_reason(reason)
    package = _locked(package_id, "hand_back")
    provider = package.provider
    now = clock.now()
    hand_back = HandBack.objects.create(
        package=package, provider=provider, reason=reason, at=now, by=by
    )
    audit.record(by=by, obj=hand_back, action=audit.CREATE, changes=audit.created(hand_back))
    _end_placement(by, package, clock.today())
    _move(
        package,
        "hand_back",
        by=by,
        provider=None,
        placed_at=None,
        waiting_since=now,
        escalated=False,
        escalated_at=None,
        brokering_round=package.brokering_round + 1,
    )
    record_event(
        package_id=package.pk,
        kind=EventKind.HANDED_BACK,
        by=by,
        provider=provider,
        detail=reason,
    )
    signals.package_handed_back.send(sender=Package, package_id=package.pk)
    return package


@transaction.atomic
def end_package(*, package_id, by, ended_on=None) -> Package:
    """Placed -> ended; `ended_on` is the last day of care (today by default, never later)."""
    package = _locked(package_id, "end")
    today = clock.today()
    ended_on = ended_on or today
    if ended_on > today:
        raise ValidationError({"ended_on": ["The last day of care cannot be in the future."]})
    if ended_on < package.start_date:
        raise ValidationError({"ended_on": ["The last day of care cannot be before it started."]})
    _end_placement(by, package, ended_on)
    _move(package, "end", by=by, ended_at=clock.now(), ended_on=ended_on)
    record_event(
        package_id=package.pk, kind=EventKind.ENDED, by=by, detail=f"Last day {ended_on:%d/%m/%Y}"
    )
    return package


@transaction.atomic
def mark_placed(*, package_id, provider, by, kind=EventKind.PLACED, detail="") -> Package:
    """Open -> placed with `provider` (a Provider or its id): an offer accepted, or assigned."""
    package = _locked(package_id, "place")
    now = clock.now()
    _start_placement(by, package, getattr(provider, "pk", provider), now)
    _move(
        package,
        "place",
        by=by,
        provider_id=getattr(provider, "pk", provider),
        placed_at=now,
        escalated=False,
        escalated_at=None,
    )
    record_event(package_id=package.pk, kind=kind, by=by, provider=provider, detail=detail)
    return package


def _start_placement(by, package, provider_id, placed_at) -> Placement:
    """The provider's placement: from the start date for the first, or from today (never
    before the start date) for a provider taking over a package handed back."""
    starts_on = package.start_date
    if package.placements.exists():
        starts_on = max(starts_on, clock.today())
    placement = Placement.objects.create(
        package=package, provider_id=provider_id, starts_on=starts_on, placed_at=placed_at
    )
    audit.record(by=by, obj=placement, action=audit.CREATE, changes=audit.created(placement))
    return placement


def _end_placement(by, package, last_day) -> None:
    """End the running placement on `last_day` (the day before it starts, when it has not
    begun: then it covers no day)."""
    placement = package.placements.filter(ends_on__isnull=True).first()
    if placement is None:
        return
    before = audit.snapshot(placement)
    placement.ends_on = max(last_day, placement.starts_on - datetime.timedelta(days=1))
    placement.save(update_fields=["ends_on"])
    audit.record(by=by, obj=placement, changes=audit.changed(before, placement))


@transaction.atomic
def set_escalated(*, package_id, escalated: bool) -> bool:
    """Mark an open package as needing a broker (or not); True if it changed."""
    changed = Package.objects.filter(
        pk=package_id, status=PackageStatus.OPEN, escalated=not escalated
    ).update(
        escalated=escalated,
        escalated_at=clock.now() if escalated else None,
        updated_at=clock.now(),
    )
    if changed:
        flag = audit.transition("escalated", not escalated, escalated)
        audit.record(by=None, obj=Package(pk=package_id), changes=flag)
    if changed and escalated:
        record_event(package_id=package_id, kind=EventKind.ESCALATED)
    return bool(changed)


def log_person_access(*, person_id, user, request_or_ip, via) -> PersonAccess:
    """Append to the access log: `user` saw person `person_id` through `via`."""
    return PersonAccess.objects.create(
        person_id=person_id, user=user, at=clock.now(), ip_address=_ip(request_or_ip), via=via
    )


def log_people_access(*, person_ids, user, request_or_ip, via) -> None:
    """The same for a list that shows several people at once (one row each)."""
    now, ip = clock.now(), _ip(request_or_ip)
    PersonAccess.objects.bulk_create(
        PersonAccess(person_id=pk, user=user, at=now, ip_address=ip, via=via)
        for pk in dict.fromkeys(person_ids)
    )


def _ip(request_or_ip):
    address = getattr(request_or_ip, "META", {}).get("REMOTE_ADDR") or (
        request_or_ip if isinstance(request_or_ip, str) else None
    )
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None
