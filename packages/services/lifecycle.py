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

from core import audit, clock
from core.errors import Conflict

from .. import signals
from ..models import (
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
