"""A package's lifecycle: submitted, placed, handed back, ended or cancelled, and its timeline.

A status change locks the package row and checks the one transition map
(`models.TRANSITIONS`): an action the status forbids raises
`core.errors.Conflict`. Brokering hears of submits, hand-backs and
cancellations through `packages.signals`, sent inside the transaction (its
receivers enqueue work with `transaction.on_commit`).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from core import audit, clock, records
from core.errors import Conflict
from core.formats import date_text

from .. import notices, signals
from ..commissioned import keeps_step
from ..models import (
    SEEKING_PROVIDER,
    TRANSITIONS,
    EventKind,
    HandBack,
    Package,
    PackageEvent,
    PackageStatus,
    Placement,
)

PAST_TENSE = {
    "submit": "submitted",
    "cancel": "cancelled",
    "place": "placed",
    "hand_back": "handed back",
    "end": "ended",
}


def record_event(*, package_id, kind, by=None, provider=None, detail="") -> PackageEvent:
    """Add an entry to the package's timeline (unsaved, in a replay: core.records)."""
    event = PackageEvent(
        package_id=package_id,
        kind=kind,
        at=clock.now(),
        by=by,
        provider_id=getattr(provider, "pk", provider),
        detail=detail,
    )
    if records.kept():
        event.save(force_insert=True)
    return event


def _locked(package_id, action) -> Package:
    """The package row, locked, if its status allows `action`; Conflict otherwise."""
    return _allowing(Package.objects.select_for_update().get(pk=package_id), action)


def _allowing(package, action) -> Package:
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


@keeps_step
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


# How far ahead a provider may give notice of its last day.
NOTICE_DAYS = 28


@keeps_step
@transaction.atomic
def hand_back_package(*, package_id, by, reason, last_day=None) -> Package:
    """The placed provider returns the package: at once (open again, brokering restarts
    without it) or with notice, caring for it until `last_day` (today to 28 days ahead)
    while brokering finds the next provider at once. Brokers are told either way."""
    reason = _required_reason(reason)
    if last_day is not None:
        _check_last_day(last_day)
    package = _locked(package_id, "hand_back")
    if package.under_notice:
        raise Conflict(
            f"This package is already handed back: its provider's last day is "
            f"{date_text(package.handed_back_until)}."
        )
    provider = package.provider
    now = clock.now()
    hand_back = HandBack.objects.create(
        package=package, provider=provider, reason=reason, last_day=last_day, at=now, by=by
    )
    audit.record(by=by, obj=hand_back, action=audit.CREATE, changes=audit.created(hand_back))
    _end_placement(by, package, last_day or clock.today())
    if last_day is None:
        _move(package, "hand_back", by=by, provider=None, placed_at=None, **_new_round(package))
    else:
        _give_notice(by, package, last_day)
    detail = reason if last_day is None else f"Last day {date_text(last_day)}: {reason}"
    record_event(
        package_id=package.pk, kind=EventKind.HANDED_BACK, by=by, provider=provider, detail=detail
    )
    notices.handed_back(package, hand_back)
    signals.package_handed_back.send(sender=Package, package_id=package.pk)
    return package


def _check_last_day(last_day) -> None:
    today = clock.today()
    if not today <= last_day <= today + datetime.timedelta(days=NOTICE_DAYS):
        raise ValidationError(
            {"last_day": [f"The last day must be from today to {NOTICE_DAYS} days ahead."]}
        )


def _new_round(package) -> dict:
    """What changes on a package when brokering starts again for it."""
    return {
        "waiting_since": clock.now(),
        "escalated": False,
        "escalated_at": None,
        "brokering_round": package.brokering_round + 1,
    }


def _give_notice(by, package, last_day) -> None:
    """Still placed with its provider until `last_day`; a new round looks for the next."""
    before = audit.snapshot(package)
    changes = {"handed_back_until": last_day, **_new_round(package)}
    for field, value in changes.items():
        setattr(package, field, value)
    package.save(update_fields=[*changes, "updated_at"])
    audit.record(by=by, obj=package, changes=audit.changed(before, package))


def end_notices() -> dict:
    """As the days pass: each package whose provider's last day has passed goes to the
    provider who accepted to follow, or, with nobody yet, is open (brokering goes on).
    Looks at state, so a missed run is caught by the next; one transaction a package."""
    due = Package.objects.filter(
        status=PackageStatus.PLACED, handed_back_until__lt=clock.today()
    ).values_list("pk", flat=True)
    done = {"taken_over": 0, "reopened": 0}
    for package_id in list(due):
        with transaction.atomic():
            package = Package.objects.select_for_update().get(pk=package_id)
            if not (package.under_notice and package.handed_back_until < clock.today()):
                continue  # another run got there first
            if package.next_provider_id:
                _take_over(package)
                done["taken_over"] += 1
            else:
                _reopen(package)
                done["reopened"] += 1
    return done


def _take_over(package) -> None:
    placement = package.placements.get(ends_on__isnull=True)
    before = audit.snapshot(package)
    package.provider_id, package.placed_at = package.next_provider_id, placement.placed_at
    package.next_provider, package.handed_back_until = None, None
    package.save(
        update_fields=["provider", "placed_at", "next_provider", "handed_back_until", "updated_at"]
    )
    audit.record(by=None, obj=package, changes=audit.changed(before, package))
    record_event(package_id=package.pk, kind=EventKind.TAKEN_OVER, provider=package.provider_id)


def _reopen(package) -> None:
    last_day = package.handed_back_until
    _move(package, "hand_back", by=None, provider=None, placed_at=None, handed_back_until=None)
    record_event(
        package_id=package.pk,
        kind=EventKind.HANDED_BACK,
        detail=f"The last day, {date_text(last_day)}, passed with no provider to follow: open.",
    )


@keeps_step
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
    notice = {"handed_back_until": None, "next_provider": None} if package.under_notice else {}
    _move(package, "end", by=by, ended_at=clock.now(), ended_on=ended_on, **notice)
    if notice:
        # Brokering for a provider to follow stops: its pending offers are withdrawn.
        signals.package_cancelled.send(sender=Package, package_id=package.pk)
    record_event(
        package_id=package.pk, kind=EventKind.ENDED, by=by, detail=f"Last day {date_text(ended_on)}"
    )
    return package


@keeps_step  # its transaction: a savepoint fewer in an accept
def mark_placed(*, package_id, provider, by, kind=EventKind.PLACED, detail="") -> Package:
    """Open -> placed with `provider` (a Provider or its id): an offer accepted, or assigned.
    A package handed back with notice stays with its provider until its last day; the one
    placed now follows the day after (`next_provider`)."""
    provider_id = getattr(provider, "pk", provider)
    package = Package.objects.select_for_update().get(pk=package_id)
    if package.under_notice and package.seeking_provider:
        return _place_next(package, provider_id, by=by, kind=kind, detail=detail)
    _allowing(package, "place")
    now = clock.now()
    _start_placement(by, package, provider_id, now)
    _move(
        package,
        "place",
        by=by,
        provider_id=provider_id,
        placed_at=now,
        escalated=False,
        escalated_at=None,
    )
    record_event(package_id=package.pk, kind=kind, by=by, provider=provider, detail=detail)
    return package


def _place_next(package, provider_id, *, by, kind, detail) -> Package:
    starts_on = package.takes_over_on
    placement = Placement.objects.create(
        package=package, provider_id=provider_id, starts_on=starts_on, placed_at=clock.now()
    )
    audit.record(by=by, obj=placement, action=audit.CREATE, changes=audit.created(placement))
    before = audit.snapshot(package)
    package.next_provider_id, package.escalated, package.escalated_at = provider_id, False, None
    package.save(update_fields=["next_provider", "escalated", "escalated_at", "updated_at"])
    audit.record(by=by, obj=package, changes=audit.changed(before, package))
    detail = " ".join(filter(None, [detail, f"Takes over on {date_text(starts_on)}."]))
    record_event(package_id=package.pk, kind=kind, by=by, provider=provider_id, detail=detail)
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
    """Mark a package brokering is looking for a provider for as needing a broker (or not);
    True if it changed."""
    changed = Package.objects.filter(
        SEEKING_PROVIDER, pk=package_id, escalated=not escalated
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
    if changed:
        signals.package_escalated.send(sender=Package, package_id=package_id, escalated=escalated)
    return bool(changed)
