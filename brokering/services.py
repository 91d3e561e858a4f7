"""Brokering writes: offers sent, accepted, declined, expired and withdrawn; placing by hand.

Every service that changes an offer first locks its package row, so that
accepting, declining, expiring and sending offers for one package happen
one after another, and always take their locks in the same order (package,
then its zone or the accepting provider, then offers).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.dateformat import format as date_format

from core import audit, clock, jobs, records
from core.errors import Conflict
from core.queries import Prepared
from notifications.models import Notification, NotificationKind
from packages import services as packages_services
from packages.models import SEEKING_PROVIDER, EventKind, Package, PackageStatus
from providers.models import Provider, ProviderStatus
from zones.models import AllocationMode, Zone

from . import allocation, eligibility, notices, signals, tasks
from .models import DeclineReason, Offer, OfferStatus, Retry, WithdrawnBecause

NO_LONGER_AVAILABLE = "This package is no longer available: it has been placed or closed."
WHY_NOT_PENDING = {
    OfferStatus.ACCEPTED: "This offer has already been accepted.",
    OfferStatus.DECLINED: "This offer has already been declined.",
    OfferStatus.EXPIRED: "This offer has expired.",
    OfferStatus.WITHDRAWN: "This offer was withdrawn.",
}


# How an offer's status changes when it is answered, expires or is withdrawn, for the audit trail.
ANSWERED = {
    status: audit.transition("status", OfferStatus.PENDING, status)
    for status in (
        OfferStatus.ACCEPTED,
        OfferStatus.DECLINED,
        OfferStatus.EXPIRED,
        OfferStatus.WITHDRAWN,
    )
}


def _locking(*, package_id):
    return Package.objects.select_for_update().filter(pk=package_id)


def _locking_if_seeking(*, package_id):
    return Package.objects.select_for_update().filter(SEEKING_PROVIDER, pk=package_id)


def _locking_with_zone(*, package_id):
    return (
        Package.objects.select_for_update(of=("self",))
        .select_related("zone")
        .filter(pk=package_id)
        .order_by("pk")[:1]
    )


def _pending_in_round(*, package_id, round):
    pending = Offer.objects.filter(package_id=package_id, round=round, status=OfferStatus.PENDING)
    return pending.values_list("pk", flat=True)[:1]


def _escalated():
    return (
        Package.objects.filter(SEEKING_PROVIDER, escalated=True)
        .select_related("zone", "retry")
        .only("pk", "escalated_at", "zone__retry_minutes", "retry__tried_at")
        .order_by("escalated_at", "pk")
    )


def _stalled():
    pending = Offer.objects.filter(
        package=OuterRef("pk"), round=OuterRef("brokering_round"), status=OfferStatus.PENDING
    )
    return (
        Package.objects.filter(SEEKING_PROVIDER, escalated=False)
        .filter(~Exists(pending))
        .order_by("submitted_at")
        .values_list("pk", flat=True)
    )


def _expiring(*, now):
    expiring = Offer.objects.filter(status=OfferStatus.PENDING, expires_at__lte=now)
    return expiring.values_list("package_id", flat=True).distinct()


# Compiled once (core.queries.Prepared): every answer, expiry and brokering step locks a
# package, each step asks whether an offer is pending, the sweep reads three lists every
# minute, and building these costs the ORM more than the database takes to run them.
_LOCKING = Prepared(_locking)
_LOCKING_IF_SEEKING = Prepared(_locking_if_seeking)
_LOCKING_WITH_ZONE = Prepared(_locking_with_zone)
_PENDING_IN_ROUND = Prepared(_pending_in_round)
_ESCALATED = Prepared(_escalated)
_STALLED = Prepared(_stalled)
_EXPIRING = Prepared(_expiring)


def _locked_package(package_id) -> Package:
    found = _LOCKING(package_id=package_id)
    if not found:
        raise Package.DoesNotExist("Package matching query does not exist.")
    return found[0]


def _enqueue_brokering(package_id):
    jobs.after_commit(tasks.broker_package, package_id)


def advance_brokering(*, package_id) -> list[Offer]:
    """Take the next brokering step for an open package: send offers, or escalate.

    Does nothing while an offer of the current round is pending, or once
    the package is placed, escalated or closed, so it is safe to run any
    number of times (the task, the sweep, a retry).
    """
    with transaction.atomic():
        package = next(iter(_LOCKING_WITH_ZONE(package_id=package_id)), None)
        if package is None or not package.seeking_provider or package.escalated:
            return []
        if _PENDING_IN_ROUND(package_id=package.pk, round=package.brokering_round):
            return []
        if package.zone.allocation_mode == AllocationMode.ROTA:
            _lock_rota(package.zone)
        choice = allocation.next_offers(package)
        if not choice.providers:
            if packages_services.set_escalated(package_id=package.pk, escalated=True):
                notices.escalated(package)
            return []
        return _send_offers(package, choice)


def retry_package(*, package_id) -> list[Offer]:
    """Offer an escalated package again, in a new round, if anyone eligible can be asked.

    Those who declined it or handed it back stay out; those whose offers expired
    may be asked again. With offers sent it is no longer escalated; with nobody
    to ask it stays escalated and the next re-try is `retry_minutes` away.
    """
    with transaction.atomic():
        package = (
            Package.objects.select_for_update(of=("self",))
            .select_related("zone")
            .filter(SEEKING_PROVIDER, pk=package_id, escalated=True)
            .first()
        )
        if package is None:
            return []
        if package.zone.allocation_mode == AllocationMode.ROTA:
            _lock_rota(package.zone)
        # The package is locked: nobody else writes its re-try meanwhile (update_or_create's
        # savepoint and locking read cost four statements, this one or two).
        if not Retry.objects.filter(package=package).update(tried_at=clock.now()):
            Retry.objects.create(package=package, tried_at=clock.now())
        choice = allocation.next_offers(package, round=package.brokering_round + 1)
        if not choice.providers:
            return []
        _next_round(package, by=None)
        packages_services.set_escalated(package_id=package.pk, escalated=False)
        packages_services.record_event(
            package_id=package.pk,
            kind=EventKind.REBROKERED,
            detail="Offered again by brokering: a provider can be asked now",
        )
        return _send_offers(package, choice)


def _next_round(package, *, by) -> None:
    """Start the package's next brokering round (the package row locked by the caller)."""
    Package.objects.filter(SEEKING_PROVIDER, pk=package.pk).update(
        brokering_round=F("brokering_round") + 1
    )
    rounds = audit.transition(
        "brokering_round", package.brokering_round, package.brokering_round + 1
    )
    audit.record(by=by, obj=package, changes=rounds)
    package.brokering_round += 1


def retry_due() -> list[int]:
    """Escalated packages whose zone's `retry_minutes` have passed since they escalated
    or were last re-tried, whichever is later; oldest first."""
    now = clock.now()
    due = []
    for package in _ESCALATED():
        tried = getattr(getattr(package, "retry", None), "tried_at", None)
        since = max(filter(None, (package.escalated_at, tried)), default=now)
        if since + datetime.timedelta(minutes=package.zone.retry_minutes) <= now:
            due.append(package.pk)
    return due


def retry_escalated(*, zone_ids) -> int:
    """Re-try at once the escalated packages a market change may help: those in the zones,
    and in the zones that list one of them as a neighbour. Answers how many got offers."""
    packages = (
        Package.objects.filter(SEEKING_PROVIDER, escalated=True)
        .filter(Q(zone_id__in=zone_ids) | Q(zone__neighbour_links__neighbour_id__in=zone_ids))
        .order_by("escalated_at", "pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    return sum(bool(retry_package(package_id=package_id)) for package_id in list(packages))


def _lock_rota(zone) -> None:
    """Lock a rota zone for one brokering step, and start its rota on the first one.

    Rota shares are counted across the zone's packages, so they are brokered
    one at a time (NO KEY UPDATE: rows that merely refer to the zone, new
    packages say, need not wait). A rota's first period begins on the Monday
    (UK) of the week it first brokers with both its primary and secondary, so
    that it opens with the contract primary leading, and periods run Monday to
    Sunday.
    """
    locked = Zone.objects.select_for_update(no_key=True).get(pk=zone.pk)
    if locked.rota_started_on is None and allocation.rota_ready(locked):
        locked.rota_started_on = clock.week_start(clock.today())
        Zone.objects.filter(pk=zone.pk).update(rota_started_on=locked.rota_started_on)
        audit.record(
            by=None,
            obj=locked,
            changes=audit.transition("rota_started_on", None, locked.rota_started_on),
        )
    zone.rota_started_on, zone.rotation_weeks = locked.rota_started_on, locked.rotation_weeks


def _send_offers(package, choice) -> list[Offer]:
    now = clock.now()
    expires_at = package.zone.offer_expires_at(now, package.is_urgent)
    rota = {"rota_zone": package.zone, "rota_period": choice.rota_period}
    offers = Offer.objects.bulk_create(
        Offer(
            package=package,
            provider=provider,
            round=package.brokering_round,
            sent_at=now,
            expires_at=expires_at,
            # Only the first is the rota's counted first offer; an urgent wave's others are not.
            **(rota if choice.rota_period is not None and i == 0 else {}),
        )
        for i, provider in enumerate(choice.providers)
    )
    signals.offers_sent.send(sender=Offer, offers=offers)
    audit.record_many(by=None, objs=offers, action=audit.CREATE, changes=audit.created)
    answer_by = date_format(timezone.localtime(expires_at), settings.DATETIME_FORMAT)
    by_when = f"answer by {answer_by}"
    _record(package.pk, EventKind.OFFERED, offers, by_when)
    notices.offers_sent(package, offers)
    return offers


def _record(package_id, kind, offers, detail, *, by=None):
    """One timeline entry for offers that changed together. It names the provider only when
    there is one: a provider sees entries naming no provider, and must not learn its rivals."""
    one = len(offers) == 1
    packages_services.record_event(
        package_id=package_id,
        kind=kind,
        by=by,
        provider=offers[0].provider_id if one else None,
        detail=detail[:1].upper() + detail[1:] if one else f"{len(offers)} providers: {detail}",
    )


def accept_offer(*, offer_id, by, offer=None) -> Offer:
    """Accept a pending offer: the package is placed with its provider, other offers withdrawn.

    One winner under any number of simultaneous accepts: the package row is
    locked, the offer moves by a guarded update, and the database allows one
    accepted offer per package and round. The provider must still be eligible
    (checked under a lock on it, so two accepts cannot both squeeze under its
    cap): if not, the offer is withdrawn, brokering moves on, and the answer is
    409 saying why. Its other pending offers that no longer fit its cap are
    withdrawn at once.

    `offer`: the offer with its package, as the caller has just read it (not read again).
    Answers the offer, accepted: it is not read back.
    """
    if offer is None:
        offer = Offer.objects.select_related("package").get(pk=offer_id)
    # Most losers of a race are turned away here, without queueing for the lock.
    if offer.status != OfferStatus.PENDING:
        raise Conflict(_why_not(offer))
    _require_available(offer.package)
    try:
        with transaction.atomic(), audit.together():
            # Locked only while it still seeks a provider: the accepts queued behind the
            # winner's lock are all let go when it commits (PostgreSQL reads the row again
            # and it no longer matches), where each took the lock in turn to find it placed.
            found = _LOCKING_IF_SEEKING(package_id=offer.package_id)
            if not found:
                raise Conflict(NO_LONGER_AVAILABLE)
            package = found[0]
            provider = Provider.objects.select_for_update(no_key=True).get(pk=offer.provider_id)
            placed = (
                eligibility.placed_hours(provider.pk)
                if provider.weekly_hours_cap is not None
                else 0
            )
            candidate = eligibility.Candidate(provider, None, None, placed_hours=placed)
            refused = eligibility.why_not_eligible(candidate, package, needs_contract=False)
            if refused:
                _withdraw_ineligible(offer, package)
            else:
                _place_by_offer(offer, package, by=by)
                if provider.weekly_hours_cap is not None:
                    room = provider.weekly_hours_cap - placed - package.weekly_hours
                    _withdraw_beyond_cap(provider, package, room=room, by=by)
    except IntegrityError as exc:
        raise Conflict("This package has already been accepted by another provider.") from exc
    if refused:
        raise Conflict(" ".join(refused))
    return offer


def _place_by_offer(offer, package, *, by) -> None:
    """The guarded update of the offer (pending, this round, in its window), the package
    placed, the other offers withdrawn; `offer` is changed as the update changed its row."""
    now = clock.now()
    accepted = Offer.objects.filter(
        pk=offer.pk,
        status=OfferStatus.PENDING,
        round=package.brokering_round,
        expires_at__gt=now,
    ).update(status=OfferStatus.ACCEPTED, answered_at=now, answered_by=by)
    if not accepted:
        raise Conflict(_why_not(Offer.objects.get(pk=offer.pk)))
    offer.status, offer.answered_at, offer.answered_by = OfferStatus.ACCEPTED, now, by
    audit.record(by=by, obj=offer, changes=ANSWERED[OfferStatus.ACCEPTED])
    packages_services.mark_placed(
        package_id=package.pk,
        provider=offer.provider_id,
        by=by,
        kind=EventKind.PLACED,
        detail=f"Accepted offer {offer.pk}",
    )
    _withdraw_pending(package.pk, WithdrawnBecause.TAKEN, by=by)


def _withdraw_ineligible(offer, package) -> None:
    """A provider no longer eligible tried to accept: its offer is withdrawn (it committed,
    though the accept answers 409) and brokering moves on to the next provider."""
    _withdraw(Offer.objects.filter(pk=offer.pk), package.pk, WithdrawnBecause.INELIGIBLE)
    _enqueue_brokering(package.pk)


def _withdraw_beyond_cap(provider, package, *, room, by) -> None:
    """Withdraw the provider's other pending offers that no longer fit its cap (`room` hours
    left under it), now that `package` is placed with it. Their packages' timelines and next steps follow once this
    commits (`moved_on_beyond_cap`): writing to another package's rows here would wait on an
    accept of it that holds that package and waits for this provider: a deadlock."""
    beyond = Offer.objects.filter(
        provider=provider, status=OfferStatus.PENDING, package__weekly_hours__gt=room
    ).exclude(package=package)
    locked = list(beyond.select_for_update(of=("self",)))
    if not locked:
        return
    Offer.objects.filter(pk__in=[o.pk for o in locked], status=OfferStatus.PENDING).update(
        status=OfferStatus.WITHDRAWN, withdrawn_because=WithdrawnBecause.CAP
    )
    changes = {**ANSWERED[OfferStatus.WITHDRAWN], "withdrawn_because": ["", WithdrawnBecause.CAP]}
    audit.record_many(by=by, objs=locked, changes=changes)
    notices.offers_withdrawn(locked, WithdrawnBecause.CAP)
    jobs.after_commit(tasks.moved_on_beyond_cap, [o.pk for o in locked])


def moved_on_beyond_cap(*, offer_ids) -> None:
    """After offers were withdrawn beyond their provider's cap: each package's timeline says
    so, and its brokering moves on."""
    for offer in Offer.objects.filter(pk__in=offer_ids):
        with transaction.atomic():
            _locked_package(offer.package_id)
            because = WithdrawnBecause(WithdrawnBecause.CAP).label.lower()
            _record(offer.package_id, EventKind.WITHDRAWN, [offer], because)
        advance_brokering(package_id=offer.package_id)


def _require_available(package):
    if not package.seeking_provider:
        raise Conflict(NO_LONGER_AVAILABLE)


def _why_not(offer) -> str:
    """Why an offer can no longer be answered, in the provider's words."""
    if offer.status == OfferStatus.WITHDRAWN and offer.withdrawn_because:
        because = WithdrawnBecause(offer.withdrawn_because).label.lower()
        return f"This offer is no longer available: {because}."
    # A pending offer that cannot be answered is past its window, not yet swept.
    return WHY_NOT_PENDING.get(offer.status, "This offer has expired.")


def decline_offer(*, offer_id, by, reason, detail="") -> Offer:
    """Decline a pending offer with a reason; brokering moves on straight after commit.

    The portal's form asks for words with "Can do part of it" and Other; the
    API's contract is a reason alone (`{"reason"}` answers 200), so a bare
    "part" or "other" from a back-office system is accepted, its detail blank.
    """
    detail = (detail or "").strip()
    if reason not in DeclineReason.values:
        raise ValidationError({"reason": ["Choose a reason: " + ", ".join(DeclineReason.values)]})
    with transaction.atomic():
        offer = Offer.objects.select_related("provider").get(pk=offer_id)
        _locked_package(offer.package_id)
        now = clock.now()
        declined = Offer.objects.filter(
            pk=offer.pk, status=OfferStatus.PENDING, expires_at__gt=now
        ).update(
            status=OfferStatus.DECLINED,
            answered_at=now,
            answered_by=by,
            decline_reason=reason,
            decline_detail=detail,
        )
        if not declined:
            raise Conflict(_why_not(Offer.objects.get(pk=offer.pk)))
        audit.record(
            by=by,
            obj=offer,
            changes={**ANSWERED[OfferStatus.DECLINED], "decline_reason": ["", reason]},
        )
        label = DeclineReason(reason).label + (f": {detail}" if detail else "")
        _record(offer.package_id, EventKind.DECLINED, [offer], label, by=by)
        _enqueue_brokering(offer.package_id)
    offer.refresh_from_db()
    return offer


def expire_offers() -> list[int]:
    """Expire every pending offer past its window; answers the packages that had one."""
    package_ids = _EXPIRING(now=clock.now())
    for package_id in package_ids:
        with transaction.atomic():
            _locked_package(package_id)
            now = clock.now()
            due = Offer.objects.filter(
                package_id=package_id, status=OfferStatus.PENDING, expires_at__lte=now
            )
            if not records.kept():  # a replay's: nobody reads which they were (core.records)
                due.update(status=OfferStatus.EXPIRED)
                continue
            expired = list(due.select_related("provider"))
            due.update(status=OfferStatus.EXPIRED)
            audit.record_many(by=None, objs=expired, changes=ANSWERED[OfferStatus.EXPIRED])
            if expired:
                _record(package_id, EventKind.EXPIRED, expired, "not answered in time")
    return package_ids


def stalled_packages() -> list[int]:
    """Packages seeking a provider (open, or handed back with notice), unescalated, with no
    pending offer in their current round."""
    return _STALLED()


def sweep_brokering() -> dict:
    """Expire offers past their window, then drive every stalled package on.

    A package stalls when its offer expired, or when its task was lost (a
    worker killed mid-task, a message lost while the broker was down).
    """
    expired = expire_offers()
    stalled = stalled_packages()
    for package_id in stalled:
        advance_brokering(package_id=package_id)
    retried = retry_due()
    for package_id in retried:
        retry_package(package_id=package_id)
    overdue = notify_fill_overdue()
    return {
        "expired": len(expired),
        "driven": len(stalled),
        "retried": len(retried),
        "overdue": overdue,
    }


def notify_fill_overdue() -> int:
    """Tell the brokers once of each open package past its zone's fill target.

    Looks at state: packages still open and not yet notified, so a missed run is
    caught by the next. Only young packages and those with nobody to tell are
    read again each run: the others carry their notification. In a replay, which keeps
    no notifications (core.records), there is nobody to tell.
    """
    if not records.kept():
        return 0
    told = Notification.objects.filter(
        kind=NotificationKind.FILL_OVERDUE, package_id=OuterRef("pk")
    )
    unnotified = (
        Package.objects.filter(status=PackageStatus.OPEN, submitted_at__isnull=False)
        .exclude(Exists(told))
        .select_related("zone")
    )
    overdue = [package for package in unnotified if package.fill_overdue]
    for package in overdue:
        notices.fill_overdue(package)
    return len(overdue)


def _withdraw_pending(package_id, because, *, by=None) -> int:
    pending = Offer.objects.filter(package_id=package_id, status=OfferStatus.PENDING)
    return _withdraw(pending, package_id, because, by=by)


def _withdraw(pending, package_id, because, *, by=None) -> int:
    """Withdraw the `pending` offers of one package, on its timeline, telling each provider."""
    # Locked, so that the rows read are the rows withdrawn (a provider's cap withdraws
    # offers of other packages than the one it locks).
    withdrawn = list(pending.filter(status=OfferStatus.PENDING).select_for_update(of=("self",)))
    Offer.objects.filter(pk__in=[offer.pk for offer in withdrawn]).update(
        status=OfferStatus.WITHDRAWN, withdrawn_because=because
    )
    if withdrawn:
        changes = {**ANSWERED[OfferStatus.WITHDRAWN], "withdrawn_because": ["", because]}
        audit.record_many(by=by, objs=withdrawn, changes=changes)
        because_text = WithdrawnBecause(because).label.lower()
        _record(package_id, EventKind.WITHDRAWN, withdrawn, because_text, by=by)
        notices.offers_withdrawn(withdrawn, because)
    return len(withdrawn)


def withdraw_for_cancelled(*, package_id) -> int:
    """Withdraw a cancelled package's pending offers (inside the cancelling transaction)."""
    return _withdraw_pending(package_id, WithdrawnBecause.CANCELLED)


def withdraw_for_changed(*, package_id) -> int:
    """Withdraw the pending offers of an open package that changed (inside the changing
    transaction): the providers asked may be asked again in its new round, as it is now."""
    return _withdraw_pending(package_id, WithdrawnBecause.CHANGED)


def withdraw_offers(*, package_id, by) -> int:
    """A broker withdraws the pending offers: the providers asked are not asked again this
    round, and brokering moves on to the next provider (or escalates)."""
    with transaction.atomic():
        package = _locked_package(package_id)
        _require_open(package)
        count = _withdraw_pending(package.pk, WithdrawnBecause.BROKER, by=by)
        _enqueue_brokering(package.pk)
    return count


def rebroker_package(*, package_id, by) -> Package:
    """Start a new brokering round, after a broker changed the package or its market.

    Pending offers are withdrawn and providers whose offers expired or were
    withdrawn may be asked again; those who declined or handed it back are not.
    """
    with transaction.atomic():
        package = _locked_package(package_id)
        _require_open(package)
        _withdraw_pending(package.pk, WithdrawnBecause.REBROKERED, by=by)
        packages_services.set_escalated(package_id=package.pk, escalated=False)
        # The round is brokering's counter on the package: bumping it is the re-broker.
        _next_round(package, by=by)
        packages_services.record_event(package_id=package.pk, kind=EventKind.REBROKERED, by=by)
        _enqueue_brokering(package.pk)
    package.refresh_from_db()
    return package


def assign_package(*, package_id, provider: Provider, by, reason="", override_reason="") -> Package:
    """A broker places an open package by hand.

    A provider that is not eligible (not active, not rated Outstanding or Good,
    over its cap, or without a contract in the package's zone or a neighbour) is
    refused on `provider`, saying why, unless the broker gives `override_reason`:
    the timeline then records it, with the broker's name, beside the reasons.
    """
    if provider.status == ProviderStatus.EXITED:
        raise ValidationError({"provider": ["This provider has exited the market."]})
    override_reason = (override_reason or "").strip()
    with transaction.atomic():
        package = _locked_package(package_id)
        _require_open(package)
        Provider.objects.select_for_update(no_key=True).get(pk=provider.pk)  # its cap holds
        refused = eligibility.why_not_eligible(
            eligibility.candidate_for(package, provider), package
        )
        if refused and not override_reason:
            raise ValidationError(
                {"provider": [*refused, "Give an override reason to place it there anyway."]}
            )
        _withdraw_pending(package.pk, WithdrawnBecause.ASSIGNED, by=by)
        detail = reason.strip()
        if refused:
            who = (by.get_full_name() or by.username) if by else "the system"
            overridden = f"Override by {who}: {override_reason} "
            detail = " ".join(filter(None, [detail, overridden + f"({' '.join(refused)})"]))
        return packages_services.mark_placed(
            package_id=package.pk,
            provider=provider,
            by=by,
            kind=EventKind.ASSIGNED,
            detail=detail,
        )


def _require_open(package):
    if not package.seeking_provider:
        raise Conflict(
            f"Package {package.pk} is {package.get_status_display().lower()}: "
            "only an open package can be brokered."
        )
