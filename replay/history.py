"""A past period as the replay takes it: its real referrals, and how each provider answered.

The referrals are the packages submitted in the period in the chosen zones
(cancelled ones left out: nobody needed them filled), recorded again exactly
as their first version was. Each provider answers as its own offers of the
period were answered: an answer (accepted or declined) and its minutes drawn
from those offers, where an offer that expired, or was withdrawn because
another provider took the package, counts as no answer by then (censored: see
DrawnAnswers), with one random stream per seed, run, referral (by its place in
the period) and provider, so that a run is the same whatever the settings
tried. A provider with no answered offer in the period answers as all
providers did.
"""

import bisect
import datetime
import random
from dataclasses import dataclass

from django.db.models import Min, OuterRef, Prefetch, Q, Subquery

from brokering.models import Offer, OfferStatus, WithdrawnBecause
from core import clock
from packages.models import Package, PackageStatus, PackageVersion, Priority

from .engine import ACCEPT, DECLINE, NO_ANSWER, Answer, Referral

ANSWER_OF = {
    OfferStatus.ACCEPTED: ACCEPT,
    OfferStatus.DECLINED: DECLINE,
    OfferStatus.EXPIRED: NO_ANSWER,
}


@dataclass(frozen=True)
class PastReferral:
    referral: Referral
    actual_minutes: float | None  # submitted to first placed; None: never placed
    urgent: bool


def period_bounds(start: datetime.date, end: datetime.date):
    """The period from `start`'s UK midnight to the end of `end`."""
    return clock.midnight(start), clock.midnight(end, days=1)


def past_referrals(zone_codes: list[str], start: datetime.date, end: datetime.date):
    """The referrals submitted in the period in the zones (every zone when none), in order."""
    since, until = period_bounds(start, end)
    packages = (
        Package.objects.filter(submitted_at__gte=since, submitted_at__lt=until)
        .exclude(status__in=(PackageStatus.DRAFT, PackageStatus.CANCELLED))
        .select_related("person")
        .annotate(first_placed_at=Min("placements__placed_at"))
        .prefetch_related(
            Prefetch(
                "versions",
                PackageVersion.objects.filter(number=1).prefetch_related("visits", "flexible_plan"),
                to_attr="first_versions",
            )
        )
        .order_by("submitted_at", "pk")
    )
    if zone_codes:
        packages = packages.filter(zone__code__in=zone_codes)
    return [_past(package) for package in packages]


def _past(package) -> PastReferral:
    placed = package.first_placed_at
    minutes = (placed - package.submitted_at).total_seconds() / 60 if placed else None
    return PastReferral(
        Referral(f"P{package.pk}", package.submitted_at, referral_body(package)),
        minutes,
        package.priority == Priority.URGENT,
    )


def referral_body(package) -> dict:
    """The package POST body that recorded `package`, from its first version."""
    person = package.person
    first = package.first_versions[0]
    body = {
        "person": {
            "nhs_number": person.nhs_number,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "date_of_birth": person.date_of_birth,
            "address_line": person.address_line,
            "postcode": person.postcode,
        },
        "source": package.source,
        "priority": package.priority,
        "start_date": package.start_date,
        "hospital_ready_on": package.hospital_ready_on,
        "needs": package.needs,
        "visits": first.visit_specs(),
    }
    plan = getattr(first, "flexible_plan", None)
    if plan is not None:
        body["flexible_plan"] = {
            "week_hours": plan.week_hours,
            "contingency_hours": plan.contingency_hours,
        }
    return body


class DrawnAnswers:
    """Answers drawn from each provider's own answers in the period (engine.Answers' shape).

    An urgent referral's offers are answered as the provider answered urgent
    offers (its shorter windows hurry everyone), when it had any; each time a
    provider is asked again (a re-try) its answer is drawn again.

    An offer that expired, or was withdrawn because another provider took the
    package first, says only that its provider had not answered by then
    (censored): drawing one draws again among the provider's answers that came
    later (sampling the Kaplan-Meier estimate of its answer times, "redistribute
    to the right"). Only when none came later is it an offer left unanswered.
    Dropping those offers, or reading each as "never answers", would make every
    provider seem to decline more, and answer less, than it did.
    """

    def __init__(self, samples: dict, *, past: list[PastReferral], seed: int, run: int):
        self.samples = {key: _by_time(answers) for key, answers in samples.items()}
        self.everyone = _by_time([answer for answers in samples.values() for answer in answers])
        self.urgent_refs = {p.referral.ref for p in past if p.urgent}
        # A referral's stream is named by its place in the period, not by its package's id,
        # so that the same history gives the same draw in any copy of the database.
        self.keys = {p.referral.ref: n for n, p in enumerate(past)}
        self.seed, self.run = seed, run

    def for_offer(self, ref: str, provider_code: str, asked: int = 1) -> Answer | None:
        urgent, again = ref in self.urgent_refs, asked > 1
        choices, afters = (
            self.samples.get((provider_code, urgent, again))
            or self.samples.get((provider_code, urgent, False))
            or self.samples.get((provider_code, not urgent, again))
            or self.samples.get((provider_code, not urgent, False))
            or self.everyone
        )
        if not choices:
            return None
        # A string seed is hashed the same way in every process (unlike hash()).
        key = self.keys.get(ref, ref)
        stream = random.Random(f"{self.seed}:{self.run}:{key}:{provider_code}:{asked}")
        start = 0
        while True:
            answer = choices[stream.randrange(start, len(choices))]
            if answer.answer != NO_ANSWER:
                return answer
            start = bisect.bisect_right(afters, answer.after)
            if start == len(choices):  # nobody answered later than that: no answer
                return answer


def _by_time(answers: list[Answer]) -> tuple[list[Answer], list[datetime.timedelta]]:
    """The answers in order of their minutes, and those minutes (to find the later ones)."""
    ordered = sorted(answers, key=lambda a: a.after)
    return ordered, [a.after for a in ordered]


def answer_samples(start: datetime.date, end: datetime.date) -> dict[tuple[str, bool, bool], list]:
    """Each provider's answers to the offers it was sent in the period, in the order sent,
    by (provider code, whether the package was urgent, whether it had been offered that
    package before). A provider asked again (a re-try) answers as it answered re-offers:
    the same package's no answer, repeated every re-try, would otherwise crowd its first
    answers out.

    Expired offers are no answer by their expiry; offers withdrawn because another
    provider took the package, no answer by the moment it was taken; offers
    withdrawn for any other reason (a broker's, a change, a cancellation) say
    nothing and are left out.
    """
    since, until = period_bounds(start, end)
    taken = Offer.objects.filter(
        package=OuterRef("package"), round=OuterRef("round"), status=OfferStatus.ACCEPTED
    ).values("answered_at")[:1]
    offers = (
        Offer.objects.filter(sent_at__gte=since, sent_at__lt=until)
        .filter(
            Q(status__in=ANSWER_OF)
            | Q(status=OfferStatus.WITHDRAWN, withdrawn_because=WithdrawnBecause.TAKEN)
        )
        .annotate(taken_at=Subquery(taken))
        .order_by("sent_at", "pk")
        .values_list(
            "package_id",
            "provider__code",
            "package__priority",
            "status",
            "sent_at",
            "answered_at",
            "expires_at",
            "taken_at",
        )
    )
    samples: dict[tuple[str, bool, bool], list[Answer]] = {}
    asked = set()  # (package, provider) pairs offered before
    for package_id, code, priority, status, sent_at, answered_at, expires_at, taken_at in offers:
        again = (package_id, code) in asked
        asked.add((package_id, code))
        if status == OfferStatus.WITHDRAWN:
            if taken_at is None or taken_at < sent_at:
                continue
            answer, after = NO_ANSWER, taken_at - sent_at
        else:
            answer, after = ANSWER_OF[status], (answered_at or expires_at) - sent_at
        key = (code, priority == Priority.URGENT, again)
        samples.setdefault(key, []).append(Answer(answer, after))
    return samples
