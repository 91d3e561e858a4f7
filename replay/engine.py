"""The replay: referrals brokered by the real services on a virtual clock, then rolled back.

Each referral is recorded as a draft, then submitted at its `submitted_at`,
through packages' own services; brokering reacts as it does live (its tasks run in
place, core.jobs); each offer is answered as the answers say, that many
minutes after it is sent, through brokering's own accept and decline; and
the sweep (brokering's periodic task) runs on the first whole minute at or
after anything falls due, as beat's every-minute schedule would run it.
The clock jumps from one event to the next (core.clock.frozen_at), so a
month of referrals takes seconds.

Everything happens inside one transaction that is rolled back at the end:
the live database keeps none of it (sequences aside, which PostgreSQL never
rolls back), and the records kept only for people (the audit trail, timelines,
notifications: core.records) are not written at all. Several replays with the same
settings (a simulation's runs) share the recorded drafts, each replay in a savepoint
of its own. While it runs, the rows it changes (the zones whose settings it
tries, the providers who accept) are locked, as a broker's own change would
lock them, for the seconds a replay takes.
"""

import contextlib
import datetime
import heapq
import itertools
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from brokering import services as brokering
from brokering import signals as brokering_signals
from brokering import tasks as brokering_tasks
from brokering.models import DeclineReason, Offer, OfferStatus, WithdrawnBecause
from core import clock, jobs, records
from core.errors import Conflict
from packages import services as packages_services
from packages import signals as packages_signals
from packages.api import PackageSerializer
from packages.models import Package, PackageStatus
from zones.api import ZoneSerializer
from zones.models import Zone

from . import reserve

ACCEPT, DECLINE, NO_ANSWER = "accept", "decline", "none"
ANSWERS = (ACCEPT, DECLINE, NO_ANSWER)
# After the last referral, how long long offer windows may still place it; and how long after
# its own submission an escalated referral is still re-tried. A day covers every fill of the
# demo's history (the longest took under 14 hours); a referral nobody answers is the
# replay's dearest, each re-try a round of offers.
HORIZON = datetime.timedelta(days=7)
RETRY_HORIZON = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)
# The system answers on a provider's behalf: no user is recorded.
NOBODY = SimpleNamespace(user=None)


class ReplayError(ValueError):
    """Input the replay cannot use, saying where (`line 3: person.postcode: ...`)."""


@dataclass(frozen=True)
class Referral:
    """One referral to replay: the v1 package POST body, submitted at `submitted_at`."""

    ref: str
    submitted_at: datetime.datetime
    body: dict


@dataclass(frozen=True)
class Answer:
    """How a provider answers every offer of one referral: `answer`, `after` it is sent."""

    answer: str
    after: datetime.timedelta


class Answers:
    """Answers by (referral ref, provider code); a provider with none never answers.

    Every offer of a referral to a provider is answered alike, however many
    times (`asked`) it is offered to it.
    """

    def __init__(self, table: dict[tuple[str, str], Answer] | None = None):
        self.table = table or {}

    def for_offer(self, ref: str, provider_code: str, asked: int = 1) -> Answer | None:
        return self.table.get((ref, provider_code))


@dataclass(order=True)
class _Event:
    at: datetime.datetime
    order: int  # at the same moment: referrals, then answers, then the sweep
    seq: int
    kind: str = field(compare=False)
    subject: object = field(compare=False)


SUBMIT, ANSWER, SWEEP = "submit", "answer", "sweep"
ORDER = {SUBMIT: 0, ANSWER: 1, SWEEP: 2}


def replay(
    referrals: list[Referral],
    answers: Answers,
    zone_settings: dict[str, dict] | None = None,
    *,
    progress: Callable[[float], None] | None = None,
) -> dict:
    """What would have happened to `referrals` with these answers and zone settings.

    Answers the contract's summary and one entry per referral, in their order.
    Saves nothing: the whole replay is one transaction, rolled back.
    """
    return replay_each(referrals, [answers], zone_settings, progress=progress)[0]


def replay_each(
    referrals: list[Referral],
    answers_each: list[Answers],
    zone_settings: dict[str, dict] | None = None,
    *,
    progress: Callable[[float], None] | None = None,
) -> list[dict]:
    """`replay` once for each of `answers_each`, with the same zone settings: the settings
    are applied and the referrals recorded once, and each replay runs in a savepoint rolled
    back after it, so that the next starts from the same drafts. Saves nothing."""
    referrals = sorted(referrals, key=lambda r: r.submitted_at)
    with transaction.atomic(), jobs.run_in_place(), records.not_kept():
        try:
            if not referrals:
                return [summary([]) for _ in answers_each]
            with clock.frozen_at(referrals[0].submitted_at):
                apply_zone_settings(zone_settings or {})
                set_live_aside()
            drafts = record_drafts(referrals)
            results = []
            for n, answers in enumerate(answers_each):
                part = progress and (lambda done, n=n: progress((n + done) / len(answers_each)))
                with transaction.atomic():
                    run = _Run(referrals, drafts, answers, part)
                    run.play()
                    results.append(summary(run.outcomes()))
                    transaction.set_rollback(True)
            return results
        finally:
            transaction.set_rollback(True)


@contextlib.contextmanager
def _no_nested_savepoints():
    """Within this block the services' atomic blocks take no savepoints of their own (two
    statements each, a quarter of a replay's); answers the function that takes a real one.

    A savepoint matters only where an error is caught and the transaction goes on: in a
    replay, only around an answer (a refused accept or decline, `_Run._answer`), which
    takes its own. Any other error ends the replay, and its transaction rolls back whole.
    Without its savepoint, an atomic block an error leaves marks the transaction for
    rollback (as Django's `atomic(savepoint=False)` does), which `_answer` then undoes to
    its own savepoint.
    """
    connection = transaction.get_connection()
    real = connection.savepoint
    connection.savepoint = lambda: None
    try:
        yield real
    finally:
        del connection.savepoint


def set_live_aside() -> None:
    """Take the live packages still open out of the replay (within its transaction only).

    Nobody answers their offers here, so brokering them would only add offers,
    re-tries and rota turns that never happened alongside the replayed
    referrals, and cost most of a replay's time (the demo's four escalated
    packages were re-tried at every re-try interval). A package handed back
    with notice stays: it is placed, and its hours count against its provider.
    """
    live = Package.objects.filter(status=PackageStatus.OPEN)
    Offer.objects.filter(package__in=live, status=OfferStatus.PENDING).update(
        status=OfferStatus.WITHDRAWN, withdrawn_because=WithdrawnBecause.CANCELLED
    )
    live.update(status=PackageStatus.CANCELLED)


def apply_zone_settings(zone_settings: dict[str, dict]) -> None:
    """Change the zones as the settings say, validated as the zones API validates a PATCH;
    `reserve_providers` changes the zone's reserve contracts (replay.reserve)."""
    for code, changes in zone_settings.items():
        zone = Zone.objects.filter(code=code).first()
        if zone is None:
            raise ReplayError(f"settings: {code}: no zone has this code")
        if not isinstance(changes, dict):
            raise ReplayError(f"settings: {code}: give the zone's fields as an object")
        changes = dict(changes)
        if reserve.FIELD in changes:
            try:
                reserve.make_reserve(zone, reserve.check(zone, changes.pop(reserve.FIELD)))
            except ValidationError as error:
                message = " ".join(error.messages)
                raise ReplayError(f"settings: {code}: {reserve.FIELD}: {message}") from error
        serializer = ZoneSerializer(zone, data=changes, partial=True, context={"request": NOBODY})
        if unknown := set(changes) - set(serializer.fields):
            raise ReplayError(f"settings: {code}: not a zone field: {', '.join(sorted(unknown))}")
        if not serializer.is_valid():
            raise ReplayError(f"settings: {code}: {_first_error(serializer.errors)}")
        try:
            serializer.save()
        except ValidationError as error:
            raise ReplayError(f"settings: {code}: {' '.join(error.messages)}") from error


class _Run:
    """One replay's events, in time order, and what each referral became."""

    def __init__(
        self, referrals: list[Referral], drafts: dict[str, int], answers: Answers, progress
    ):
        self.referrals = referrals
        self.drafts = drafts
        self.answers = answers
        self.progress = progress
        self.events: list[_Event] = []
        self.seq = itertools.count()
        self.refs: dict[int, str] = {}  # package id -> ref
        self.packages: dict[str, int] = {}  # ref -> package id
        self.sent: list[Offer] = []  # offers sent since the last step (brokering's signal)
        # Offers -> their package; and what is known to be no longer pending: offers declined
        # and packages placed here (their offers accepted or withdrawn).
        self.offer_packages: dict[int, int] = {}
        self.declined: set[int] = set()
        self.placed: set[int] = set()
        self.asked: dict[tuple[str, str], int] = {}
        # Sweep minutes -> the offers falling due then: a minute none of which is still
        # pending has nothing for the sweep to do here.
        self.sweeps: dict[datetime.datetime, list[int]] = {}
        self.submitted = 0
        self.ends_at = referrals[-1].submitted_at + HORIZON
        # Escalated referrals -> the sweep minute their next re-try is due.
        self.retries: dict[int, datetime.datetime] = {}
        # Escalated referrals -> when they escalated (packages' signal), and each referral's
        # submission and its zone's re-try interval.
        self.escalated: dict[int, datetime.datetime] = {}
        self.submitted_at = {drafts[r.ref]: r.submitted_at for r in referrals}
        self.retry_minutes = dict(
            Package.objects.filter(pk__in=drafts.values()).values_list("pk", "zone__retry_minutes")
        )

    def push(self, at, kind, subject):
        heapq.heappush(self.events, _Event(at, ORDER[kind], next(self.seq), kind, subject))

    def play(self):
        for referral in self.referrals:
            self.push(referral.submitted_at, SUBMIT, referral)
        brokering_signals.offers_sent.connect(self._offers_sent, sender=Offer)
        packages_signals.package_escalated.connect(self._escalated, sender=Package)
        try:
            with _no_nested_savepoints() as self.savepoint:
                self._play()
        finally:
            brokering_signals.offers_sent.disconnect(self._offers_sent, sender=Offer)
            packages_signals.package_escalated.disconnect(self._escalated, sender=Package)

    def _play(self):
        while self.events and self.events[0].at <= self.ends_at:
            event = heapq.heappop(self.events)
            with clock.frozen_at(event.at):
                getattr(self, f"_{event.kind}")(event.subject)
                # Offers are sent, and packages escalate, only by brokering's tasks (after a
                # submit or a decline) or the sweep: an accept that queues nothing does neither.
                if jobs.run_queued() or event.kind == SWEEP:
                    self._new_offers()
                    self._retries()

    def _offers_sent(self, sender, offers, **kwargs):
        self.sent.extend(offers)

    def _escalated(self, sender, package_id, escalated, **kwargs):
        if package_id not in self.refs:
            return
        if escalated:
            self.escalated[package_id] = clock.now()
        else:
            self.escalated.pop(package_id, None)

    def _submit(self, referral: Referral):
        package_id = self.drafts[referral.ref]
        self.refs[package_id] = referral.ref
        self.packages[referral.ref] = package_id
        packages_services.submit_package(package_id=package_id, by=None)
        self.submitted += 1
        if self.progress:
            self.progress(self.submitted / len(self.referrals))

    def _answer(self, offer_answer):
        offer_id, answer = offer_answer
        savepoint = self.savepoint()
        try:
            if answer == ACCEPT:
                brokering.accept_offer(offer_id=offer_id, by=None)
                self.placed.add(self.offer_packages[offer_id])
            else:
                brokering.decline_offer(
                    offer_id=offer_id, by=None, reason=DeclineReason.NO_CAPACITY
                )
                self.declined.add(offer_id)
        except Conflict:
            # Answered too late, or the package went to another: as it would live. Refused
            # inside the service's transaction, what it did there is undone (its own
            # savepoint would have undone it); refused after it (an ineligible provider's
            # offer withdrawn, and brokering moving on), what it did stands.
            if transaction.get_rollback():
                transaction.set_rollback(False)
                transaction.savepoint_rollback(savepoint)
                return
        transaction.savepoint_commit(savepoint)

    def _sweep(self, _):
        now = clock.now()
        due = self.sweeps.pop(now, [])
        retrying = [pk for pk, at in self.retries.items() if at == now]
        if retrying or self._maybe_pending(due):
            brokering_tasks.sweep_brokering()
        for package_id in retrying:
            self.retries[package_id] = None  # tried: `_retries` sees whether it is due again

    def _maybe_pending(self, offer_ids) -> bool:
        """Whether any of the offers may still be pending (read only when not known here)."""
        unknown = [
            pk
            for pk in offer_ids
            if pk not in self.declined and self.offer_packages[pk] not in self.placed
        ]
        return bool(unknown) and (
            Offer.objects.filter(pk__in=unknown, status=OfferStatus.PENDING).exists()
        )

    def _retries(self):
        """Schedule the sweep for each escalated referral's next re-try (`retry_minutes` after
        it escalated or was last tried), for RETRY_HORIZON after its submission; past that,
        set it aside (`_give_up`).

        A re-try that found nobody to ask is not scheduled again: the replay's market does
        not change, so nobody would be found later either.
        """
        escalated = [
            (package_id, at, self.submitted_at[package_id], self.retry_minutes[package_id])
            for package_id, at in sorted(self.escalated.items())
        ]
        now = clock.now()
        still, given_up = set(), []
        for package_id, escalated_at, submitted_at, minutes in escalated:
            ends_at = submitted_at + RETRY_HORIZON
            if package_id in self.retries:
                if self.retries[package_id] is None:  # tried just now and still escalated
                    self.retries[package_id] = False
                if self.retries[package_id] is False and now > ends_at:
                    given_up.append(package_id)
                else:
                    still.add(package_id)
                continue
            due = max(escalated_at or now, now) + datetime.timedelta(minutes=minutes)
            if due <= ends_at:
                self.retries[package_id] = self.sweep_at(due)
                still.add(package_id)
            else:
                given_up.append(package_id)
        self._give_up(given_up)
        for package_id in set(self.retries) - still:  # offered again, placed or given up
            del self.retries[package_id]

    def _give_up(self, package_ids):
        """Stop following referrals past their re-try horizon: left escalated, every later
        sweep would re-try them all, a cost growing with the period (they stay unfilled)."""
        if package_ids:
            Package.objects.filter(pk__in=package_ids).update(status=PackageStatus.CANCELLED)
        for package_id in package_ids:
            del self.escalated[package_id]

    def _new_offers(self):
        """Schedule the answers to the offers just sent, and the sweep that expires them.

        An answer that comes after that sweep finds its offer expired (or answered or
        withdrawn before): it would do nothing, and is not scheduled.
        """
        sent, self.sent = self.sent, []
        for offer in sent:
            ref = self.refs.get(offer.package_id)
            if ref is None:  # a live package the sweep drove: nobody answers it here
                continue
            self.offer_packages[offer.pk] = offer.package_id
            code = offer.provider.code
            asked = self.asked[ref, code] = self.asked.get((ref, code), 0) + 1
            answer = self.answers.for_offer(ref, code, asked)
            swept = self.sweep_at(offer.expires_at, offer.pk)
            if answer is None or answer.answer == NO_ANSWER:
                continue
            if (at := offer.sent_at + answer.after) <= swept:
                self.push(at, ANSWER, (offer.pk, answer.answer))

    def sweep_at(self, due: datetime.datetime, offer_id: int | None = None) -> datetime.datetime:
        """The sweep's run at the first whole minute at or after `due` (beat runs it each minute)."""
        minute = due.replace(second=0, microsecond=0)
        if minute < due:
            minute += MINUTE
        if minute not in self.sweeps:
            self.sweeps[minute] = []
            self.push(minute, SWEEP, None)
        if offer_id is not None:
            self.sweeps[minute].append(offer_id)
        return minute

    def outcomes(self) -> list[dict]:
        packages = Package.objects.filter(pk__in=self.packages.values()).select_related("provider")
        offers = dict(
            Offer.objects.filter(package_id__in=self.packages.values())
            .values("package_id")
            .annotate(n=Count("pk"))
            .values_list("package_id", "n")
        )
        by_id = {package.pk: package for package in packages}
        return [
            outcome(referral.ref, by_id[self.packages[referral.ref]], offers)
            for referral in self.referrals
        ]


def record_drafts(referrals: list[Referral]) -> dict[str, int]:
    """Each referral recorded as a draft at its `submitted_at`: ref -> package id."""
    drafts = {}
    for referral in referrals:
        with clock.frozen_at(referral.submitted_at):
            drafts[referral.ref] = record_referral(referral).pk
    return drafts


def record_referral(referral: Referral) -> Package:
    """Record the referral as a draft, exactly as the packages API would from its POST body."""
    serializer = PackageSerializer(data=referral.body, context={"request": NOBODY})
    if not serializer.is_valid():
        raise ReplayError(f"{referral.ref}: {_first_error(serializer.errors)}")
    data = dict(serializer.validated_data)
    try:
        return packages_services.create_package(
            by=None,
            person=data.pop("person"),
            visits=data.pop("current_visits"),
            flexible_plan=data.pop("current_plan", None),
            update_person=data.pop("update_person"),
            package=data,
        )
    except ValidationError as error:
        raise ReplayError(f"{referral.ref}: {_first_error(error.message_dict)}") from error


def _first_error(errors, path="") -> str:
    """`person.postcode: Enter a real postcode` from a (nested) error dict or list."""
    if isinstance(errors, dict):
        name, inner = next(iter(errors.items()))
        return _first_error(inner, f"{path}.{name}" if path else str(name))
    if isinstance(errors, list) and errors and not isinstance(errors[0], str):
        found = next((e for e in errors if e), errors[0])
        return _first_error(found, path)
    message = errors[0] if isinstance(errors, list) and errors else errors
    return f"{path}: {message}" if path else str(message)


def outcome(ref: str, package: Package, offers: dict[int, int]) -> dict:
    placed = package.status == PackageStatus.PLACED and package.placed_at is not None
    minutes = (package.placed_at - package.submitted_at).total_seconds() / 60 if placed else None
    return {
        "ref": ref,
        "provider": package.provider.code if placed else None,
        "placed_at": timezone.localtime(package.placed_at).isoformat() if placed else None,
        "minutes": round(minutes, 1) if minutes is not None else None,
        "offers": offers.get(package.pk, 0),
    }


def summary(packages: list[dict]) -> dict:
    """The contract's output: counts, shares of all referrals placed in time, the median."""
    minutes = [p["minutes"] for p in packages if p["minutes"] is not None]
    return {
        "referrals": len(packages),
        "placed": len(minutes),
        "unfilled": len(packages) - len(minutes),
        "within_90_minutes_percent": share_within(minutes, 90, len(packages)),
        "within_4_hours_percent": share_within(minutes, 240, len(packages)),
        "median_minutes": round(statistics.median(minutes), 1) if minutes else None,
        "packages": packages,
    }


def share_within(minutes: Iterable[float], limit: float, referrals: int) -> float | None:
    """The share of all referrals (unfilled ones too) placed within `limit` minutes, in %."""
    if not referrals:
        return None
    return round(100 * sum(1 for m in minutes if m <= limit) / referrals, 1)
