"""Recording a referral: the person it is about (never overwritten by accident) and its package.

A known NHS number joins the person already recorded; details that differ are
changed only on purpose (PersonDiffers otherwise). The package's first version of
visits is recorded with it (services.schedules).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core import audit
from core.permissions import may_broker_zone
from zones.postcodes import normalise_postcode
from zones.selectors import zone_for_postcode

from .. import free_text, validation
from ..models import (
    PERSON_CONTACT,
    PERSON_IDENTITY,
    EventKind,
    Goal,
    Package,
    Person,
    Priority,
    Source,
)
from ..nhs import normalise_nhs_number
from ..permissions import may_change_person
from .lifecycle import record_event
from .schedules import new_version, record_schedule, schedule_errors

OUTSIDE_YOUR_ZONES = "This postcode is in zone {zone}, outside the zones you broker."


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
    postcode, and optionally phone, next_of_kin and access_notes. `package`: source,
    priority, start_date, and optionally hospital_ready_on, needs, referrer
    ({name, organisation, phone}), preferences and goals. `visits`: days, time, duration_minutes,
    carers, purpose. `flexible_plan`: week_hours (four) and contingency_hours.
    A known NHS number joins the person already recorded, whose details change
    only with `update_person` (see `person_for_referral`).
    Raises ValidationError naming the field for any broken rule; saves nothing then.
    """
    nhs_number, postcode, zone = _check_referral(
        by=by, person=person, package=package, visits=visits, flexible_plan=flexible_plan
    )
    with transaction.atomic():
        person_row, updated = person_for_referral(
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
            preferences=package.get("preferences") or "",
            goals=list(dict.fromkeys(package.get("goals") or [])),
            **referrer_fields(package.get("referrer")),
            weekly_hours=validation.weekly_carer_hours(visits),
            created_by=by,
        )
        created.review_due_on = created.first_review_due_on
        created.save(update_fields=["review_due_on"])
        audit.record(by=by, obj=created, action=audit.CREATE, changes=audit.created(created))
        first = new_version(by=by, package=created, number=1)
        record_schedule(by=by, version=first, visits=visits, flexible_plan=flexible_plan)
        record_event(package_id=created.pk, kind=EventKind.CREATED, by=by)
        if updated:
            record_event(
                package_id=created.pk,
                kind=EventKind.UPDATED,
                by=by,
                detail=f"The person's {_listed(updated)} updated from this referral",
            )
    return created


def referrer_fields(referrer: dict | None) -> dict:
    """A referrer ({name, organisation, phone}, or None) as the package's fields."""
    referrer = referrer or {}
    return {
        f"referrer_{part}": (referrer.get(part) or "").strip()
        for part in ("name", "organisation", "phone")
    }


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
    "phone": "phone number",
    "next_of_kin": "next of kin",
    "access_notes": "access notes",
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


def person_for_referral(by, nhs_number, details, *, update) -> tuple[Person, list[str]]:
    """The person the referral is about, and which of their fields it changed.

    A new NHS number records a new person. A known one joins the person already
    recorded and never edits them silently: details that differ raise
    PersonDiffers, unless `update` confirms the broker means to change the
    record, which only someone who sees every live package of that person may
    do (others would overwrite a record they cannot see). Contact details
    (phone, next of kin, access notes) the record lacks are filled in; one given
    that differs from the recorded one is a difference like any other. The change
    is audited with its before and after.
    """
    fields = _person_fields(details)
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
    differing, missing = _differences(person, fields)
    _require_update(by, person, differing, update)
    if not differing + missing:
        return person, []
    before = audit.snapshot(person)
    for field in differing + missing:
        setattr(person, field, fields[field])
    person.save()
    audit.record(by=by, obj=person, changes=audit.changed(before, person))
    return person, [PERSON_FIELD_NAMES[field] for field in differing + missing]


def _person_fields(details) -> dict:
    """The fields a referral gives a person's record: identity, and contact details given."""
    fields = {field: details[field] for field in PERSON_IDENTITY if field != "nhs_number"}
    return fields | {field: details[field] for field in PERSON_CONTACT if details.get(field)}


def _differences(person, fields) -> tuple[list[str], list[str]]:
    """The fields that differ from the record, and those the record lacks."""
    differing = [
        field
        for field, value in fields.items()
        if getattr(person, field) and not _same(getattr(person, field), value)
    ]
    return differing, [field for field in fields if not getattr(person, field)]


def _require_update(by, person, differing, update) -> None:
    if differing and not update:
        raise PersonDiffers(differing)
    if differing and not may_change_person(by, person):
        raise ValidationError({"update_person": [MAY_NOT_UPDATE_PERSON]})


def check_referral(
    *,
    by,
    person: dict,
    package: dict,
    visits: list[dict],
    flexible_plan: dict | None = None,
    update_person: bool = False,
) -> None:
    """Every rule `create_package` applies to these answers, saving nothing: what the
    referral page checks before showing the answers to check. Raises as it would."""
    nhs_number, postcode, _ = _check_referral(
        by=by, person=person, package=package, visits=visits, flexible_plan=flexible_plan
    )
    known = Person.objects.filter(nhs_number=nhs_number).first()
    if known is not None:
        differing, _ = _differences(known, _person_fields({**person, "postcode": postcode}))
        _require_update(by, known, differing, update_person)


def _same(recorded, given) -> bool:
    """Equal, ignoring case and spacing in text: "MARY  Smith" is the record's "Mary Smith"."""
    if isinstance(recorded, str):
        return " ".join(recorded.split()).casefold() == " ".join(str(given).split()).casefold()
    return recorded == given


def _listed(labels):
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


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
    errors |= schedule_errors(visits, flexible_plan)
    unknown_goals = set(package.get("goals") or []) - set(Goal.values)
    if unknown_goals:
        errors["goals"] = [f"Goals are from {', '.join(Goal.values)}."]
    if package.get("source") not in Source.values:
        errors["source"] = ["Choose where the referral comes from."]
    if errors:
        raise ValidationError(errors)
    return nhs_number, postcode, zone
