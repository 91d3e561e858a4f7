"""Twelve weeks of plausible history for the demo market, so the dashboard shows trends.

About 30 new packages a week (as in Devon), spread over the zones by their
size; each is offered to the zone's eligible providers by its allocation
mode, declined or left to expire by some, accepted by one. Time to fill
improves over the weeks (the brokerage team getting into its stride) and is
slowest in the rural zones, where a few people still wait, some of them in
hospital. A few placements are handed back and placed again; reablement
packages end after six weeks. Call monitoring records the visits delivered
(a few short, late or missed), and each provider's completed 4-week periods
are invoiced through invoicing's own service and mostly paid on time.

`seed_history()` runs after `seed_market()` and only once: it does nothing
when the history's first person already exists.
"""

import datetime
import math
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from brokering.models import DeclineReason, Offer, OfferStatus, WithdrawnBecause
from core import clock
from invoicing import pay, rollup
from invoicing.models import DeliveredVisit
from invoicing.services import approve_invoice, build_invoice, pay_invoice
from packages.models import (
    DAYS,
    EventKind,
    HandBack,
    Package,
    PackageEvent,
    PackageStatus,
    PackageVersion,
    Person,
    Placement,
    Priority,
    Source,
    Visit,
)
from packages.nhs import demo_nhs_number
from providers.models import ELIGIBLE_RATINGS, Contract, ContractRole, ProviderStatus
from providers.rates import RateBook
from zones.models import ROTATION_EPOCH, AllocationMode, Zone

WEEKS = 12
FIRST_SERIAL = 50_000  # demo NHS numbers of the history's people (others seed below this)
PERIOD_DAYS = 28

# zone code -> (new packages a week, how much harder than average it is to fill)
ZONE_DEMAND = {
    "EXETER": (7, 0.6),
    "SOUTH-DEVON": (6, 0.8),
    "EAST-DEVON": (5, 0.8),
    "WEST-DEVON": (4, 1.0),
    "NORTH-DEVON": (3, 1.5),
    "MID-DEVON": (2, 1.2),
    "TORRIDGE": (2, 2.2),
    "DARTMOOR": (1, 3.0),
}
# Still waiting now: (zone, days waiting, source), escalated after the window ran out.
# A good team has fewer than 5 unfilled at any time (Devon Cares); those being
# brokered when the demo is seeded come on top.
STILL_WAITING = [
    ("DARTMOOR", 6, Source.HOSPITAL_DISCHARGE),
    ("DARTMOOR", 3, Source.COMMUNITY),
    ("TORRIDGE", 4, Source.HOSPITAL_DISCHARGE),
    ("NORTH-DEVON", 1, Source.HOSPITAL_DISCHARGE),
]
# Minutes to fill: a log-normal around FILL_MINUTES x the zone's difficulty x the
# team's pace. The pace goes from FIRST_PACE to LAST_PACE over the weeks, so the
# share filled within 1.5 hours grows from about 45% to about 75% (Devon Cares: 70%),
# and within 4 hours from about 85% to about 97%.
FILL_MINUTES = 60
FIRST_PACE, LAST_PACE = 1.8, 0.9
FILL_SPREAD = 0.7
# Urgent packages (hospital discharges, crises) are filled faster than standard ones.
URGENT_PACE = 0.6
# The demo `provider` login's organisation has not sent its last complete 4-week period of
# visits yet: the demo's story of upload, invoice, approve and pay starts there.
UNSENT_PROVIDER = "EXE-VALLEY"
# Share of placements handed back (after two weeks or more) and placed again.
HAND_BACK_RATE = 0.02
GIVEN = ["Ada", "Bill", "Cath", "Dev", "Edna", "Frank", "Gwen", "Harry", "Iris", "Jack"]
FAMILY = ["Ashworth", "Bradley", "Cole", "Dunn", "Ellis", "Ford", "Gill", "Hart", "Isles"]
POSTCODE_SECTORS = "1234567"


def seed_history() -> str:
    if Person.objects.filter(nhs_number=demo_nhs_number(FIRST_SERIAL)).exists():
        return "Demo history: already there."
    zones = {
        z.code: z for z in Zone.objects.filter(code__in=ZONE_DEMAND).prefetch_related("districts")
    }
    if len(zones) < len(ZONE_DEMAND):
        return "Demo history: skipped (the demo market's zones are missing)."
    history = _History(zones, random.Random(2026), clock.now())
    with transaction.atomic():
        history.packages()
        history.save()
    invoices = history.invoices()
    return (
        f"Demo history: {history.count} packages over {WEEKS} weeks, "
        f"{len(history.offers)} offers, {len(history.hand_backs)} hand-backs, "
        f"{len(history.delivered)} delivered visits, {invoices} invoices."
    )


def _eligible_providers(zone):
    """The zone's providers that may be offered work, in cascade order (its reserve last)."""
    order = {
        ContractRole.PRIMARY: 0,
        ContractRole.SECONDARY: 1,
        ContractRole.FRAMEWORK: 2,
        ContractRole.RESERVE: 3,
    }
    contracts = sorted(
        Contract.objects.filter(
            zone=zone,
            provider__status=ProviderStatus.ACTIVE,
            provider__cqc_rating__in=ELIGIBLE_RATINGS,
        ).select_related("provider"),
        key=lambda c: (order[c.role], c.pk),
    )
    return [c.provider for c in contracts]


class _History:
    def __init__(self, zones, rng, now):
        self.zones = zones
        self.rng = rng
        self.now = now
        self.today = timezone.localdate(now)
        self.providers = {code: _eligible_providers(zone) for code, zone in zones.items()}
        self.count = 0
        self.plans = []  # (package, visits, events, offers, hand-backs) before saving
        self.offers, self.hand_backs, self.delivered = [], [], []

    # --- packages, offers, hand-backs ------------------------------------------

    def packages(self):
        start = self.now - datetime.timedelta(weeks=WEEKS)
        for week in range(WEEKS):
            # Brokers got quicker week by week.
            pace = FIRST_PACE - (FIRST_PACE - LAST_PACE) * week / (WEEKS - 1)
            for code, (per_week, difficulty) in ZONE_DEMAND.items():
                for _ in range(self.rng.choice([per_week - 1, per_week, per_week, per_week + 1])):
                    submitted = start + datetime.timedelta(
                        days=week * 7 + self.rng.randrange(7),
                        hours=self.rng.uniform(-4, 4),
                    )
                    submitted = _working_hours(submitted)
                    if submitted >= self.now - datetime.timedelta(minutes=20):
                        continue
                    minutes = (
                        FILL_MINUTES * difficulty * pace * math.exp(self.rng.gauss(0, FILL_SPREAD))
                    )
                    self._package(code, submitted, max(8.0, minutes))
        for code, days, source in STILL_WAITING:
            submitted = _working_hours(self.now - datetime.timedelta(days=days, hours=2))
            self._package(code, submitted, None, source=source)

    def _package(self, code, submitted, fill_minutes, source=None):
        rng = self.rng
        zone = self.zones[code]
        serial = FIRST_SERIAL + self.count
        self.count += 1
        source = (
            source
            or rng.choices(
                [Source.HOSPITAL_DISCHARGE, Source.COMMUNITY, Source.REABLEMENT, Source.REVIEW],
                weights=[45, 30, 15, 10],
            )[0]
        )
        urgent = (source == Source.HOSPITAL_DISCHARGE and rng.random() < 0.6) or rng.random() < 0.05
        if urgent and fill_minutes is not None:
            # Brokers ring round for urgent work first, and its offer windows are shorter.
            fill_minutes = max(8.0, fill_minutes * URGENT_PACE)
        district = rng.choice([d.district for d in zone.districts.all()])
        person = Person(
            nhs_number=demo_nhs_number(serial),
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(FAMILY),
            date_of_birth=datetime.date(
                1930 + rng.randrange(30), 1 + rng.randrange(12), 1 + rng.randrange(28)
            ),
            address_line=f"{1 + rng.randrange(90)} {rng.choice(['Fore', 'High', 'Mill', 'Church'])} Street",
            postcode=f"{district} {rng.choice(POSTCODE_SECTORS)}{rng.choice('ABDEFG')}{rng.choice('HJLNPQ')}",
        )
        visits = _visit_plan(rng)
        minutes = sum(v.duration_minutes * v.carers * len(v.days) for v in visits)
        package = Package(
            zone=zone,
            source=source,
            priority=Priority.URGENT if urgent else Priority.STANDARD,
            status=PackageStatus.OPEN,
            start_date=timezone.localdate(submitted) + datetime.timedelta(days=1),
            hospital_ready_on=timezone.localdate(submitted)
            if source == Source.HOSPITAL_DISCHARGE
            else None,
            needs="Help with washing, dressing and medication; lives alone.",
            weekly_hours=(Decimal(minutes) / 60).quantize(Decimal("0.01")),
            brokering_round=1,
            submitted_at=submitted,
            waiting_since=submitted,
        )
        # As recording a referral sets it (packages.services.referrals): the Reviews due
        # list and the review_due notices have the demo's packages to work on.
        package.review_due_on = package.first_review_due_on
        plan = {
            "person": person,
            "package": package,
            "visits": visits,
            "events": [],
            "offers": [],
            "hand_backs": [],
            "created_at": submitted - datetime.timedelta(minutes=rng.randrange(10, 90)),
        }
        plan["events"].append((EventKind.SUBMITTED, submitted, None, ""))
        if fill_minutes is None:
            self._offers(plan, zone, submitted, None, 1)
            package.escalated = True
            package.escalated_at = submitted + datetime.timedelta(hours=6)
            plan["events"].append((EventKind.ESCALATED, package.escalated_at, None, ""))
        elif rng.random() < 0.03:
            package.status = PackageStatus.CANCELLED
            package.cancelled_at = submitted + datetime.timedelta(minutes=fill_minutes / 2)
            package.cancel_reason = "The person went into a care home."
            self._offers(plan, zone, submitted, None, 1, until=package.cancelled_at)
            plan["events"].append(
                (EventKind.CANCELLED, package.cancelled_at, None, package.cancel_reason)
            )
        else:
            placed_at = submitted + datetime.timedelta(minutes=fill_minutes)
            if placed_at > self.now:
                self._offers(plan, zone, submitted, None, 1)
            else:
                provider = self._offers(plan, zone, submitted, placed_at, 1)
                self._place(plan, provider, placed_at)
        self.plans.append(plan)

    def _place(self, plan, provider, placed_at):
        rng, package = self.rng, plan["package"]
        package.status, package.provider, package.placed_at = (
            PackageStatus.PLACED,
            provider,
            placed_at,
        )
        plan["events"].append((EventKind.PLACED, placed_at, provider, ""))
        placement = Placement(provider=provider, starts_on=package.start_date, placed_at=placed_at)
        plan["placements"] = [placement]
        age = self.now - placed_at
        if age > datetime.timedelta(days=14) and rng.random() < HAND_BACK_RATE:
            # Handed back after a few days and placed again with someone else.
            back_at = placed_at + datetime.timedelta(
                days=rng.randrange(3, 10), hours=rng.randrange(8)
            )
            plan["hand_backs"].append(
                HandBack(provider=provider, reason="We cannot staff the evening calls.", at=back_at)
            )
            plan["events"].append(
                (EventKind.HANDED_BACK, back_at, provider, "We cannot staff the evening calls.")
            )
            package.brokering_round = 2
            package.waiting_since = back_at
            again = back_at + datetime.timedelta(minutes=rng.uniform(40, 400))
            others = [p for p in self.providers[package.zone.code] if p != provider] or [provider]
            package.provider = self._offers(plan, package.zone, back_at, again, 2, providers=others)
            package.placed_at = again
            plan["events"].append((EventKind.PLACED, again, package.provider, ""))
            placement.ends_on = max(timezone.localdate(back_at), package.start_date)
            placement = Placement(
                provider=package.provider,
                starts_on=max(package.start_date, timezone.localdate(again)),
                placed_at=again,
            )
            plan["placements"].append(placement)
        if package.source == Source.REABLEMENT and age > datetime.timedelta(weeks=6):
            package.status = PackageStatus.ENDED
            package.ended_on = timezone.localdate(package.placed_at) + datetime.timedelta(weeks=6)
            package.ended_at = package.placed_at + datetime.timedelta(weeks=6)
            placement.ends_on = package.ended_on
            plan["events"].append((EventKind.ENDED, package.ended_at, package.provider, ""))

    def _offers(self, plan, zone, sent, placed_at, round_, until=None, providers=None):
        """Offers by the zone's mode; answer the provider that accepted (if placed)."""
        rng, package = self.rng, plan["package"]
        providers = list(providers or self.providers[zone.code])
        window = zone.offer_window(package.priority == Priority.URGENT)
        end = placed_at or until or self.now
        if (
            zone.allocation_mode == AllocationMode.ROTA
            and round_ == 1
            and len(providers) > 1
            and rng.random() < 0.2
        ):
            providers[0], providers[1] = providers[1], providers[0]  # the secondary's 20%
        if zone.allocation_mode == AllocationMode.BROADCAST:
            taker = rng.choice(providers)
            for provider in providers:
                offer = Offer(
                    package=package,
                    provider=provider,
                    round=round_,
                    sent_at=sent,
                    expires_at=sent + window,
                )
                if placed_at and provider == taker:
                    offer.status, offer.answered_at = OfferStatus.ACCEPTED, placed_at
                elif placed_at and rng.random() < 0.4 and sent + (placed_at - sent) / 2 < placed_at:
                    offer.status, offer.answered_at = (
                        OfferStatus.DECLINED,
                        sent + (placed_at - sent) / 2,
                    )
                    offer.decline_reason = DeclineReason.NO_CAPACITY
                elif placed_at or until:
                    offer.status, offer.withdrawn_because = (
                        OfferStatus.WITHDRAWN,
                        (WithdrawnBecause.TAKEN if placed_at else WithdrawnBecause.CANCELLED),
                    )
                elif sent + window < self.now:
                    offer.status = OfferStatus.EXPIRED
                plan["offers"].append(offer)
            return taker if placed_at else None
        # Cascade and rota: one provider at a time until one accepts.
        asked = max(1, min(len(providers), 1 + int((end - sent) / window)))
        step = (end - sent) / asked
        for index, provider in enumerate(providers[:asked]):
            offer_sent = sent + step * index
            last = index == asked - 1
            offer = Offer(package=package, provider=provider, round=round_, sent_at=offer_sent)
            if index == 0 and zone.allocation_mode == AllocationMode.ROTA and round_ == 1:
                offer.rota_zone, offer.rota_period = (
                    zone,
                    zone.rotation_period(timezone.localdate(sent)),
                )
            if last and placed_at:
                offer.status, offer.answered_at = OfferStatus.ACCEPTED, placed_at
                offer.expires_at = max(
                    offer_sent + window, placed_at + datetime.timedelta(minutes=1)
                )
            elif last and until:
                offer.status, offer.withdrawn_because = (
                    OfferStatus.WITHDRAWN,
                    WithdrawnBecause.CANCELLED,
                )
                offer.expires_at = offer_sent + window
            elif last:
                offer.expires_at = offer_sent + window
                offer.status = (
                    OfferStatus.PENDING if offer.expires_at > self.now else OfferStatus.EXPIRED
                )
            elif rng.random() < 0.6:
                offer.status = OfferStatus.DECLINED
                offer.answered_at = offer_sent + step * rng.uniform(0.2, 0.9)
                offer.decline_reason = rng.choice(
                    [
                        DeclineReason.NO_CAPACITY,
                        DeclineReason.NO_CAPACITY,
                        DeclineReason.NOT_IN_AREA,
                    ]
                )
                offer.expires_at = offer_sent + window
            else:
                offer.status = OfferStatus.EXPIRED
                offer.expires_at = offer_sent + max(step, datetime.timedelta(minutes=1))
            plan["offers"].append(offer)
        return providers[asked - 1] if placed_at else None

    def save(self):
        people = Person.objects.bulk_create([p["person"] for p in self.plans])
        for plan, person in zip(self.plans, people, strict=True):
            plan["package"].person = person
        packages = Package.objects.bulk_create([p["package"] for p in self.plans])
        for plan in self.plans:
            # auto_now_add stamped them now: date them when they were recorded.
            Package.objects.filter(pk=plan["package"].pk).update(
                created_at=plan["created_at"],
                updated_at=plan["package"].placed_at or plan["created_at"],
            )
        versions = PackageVersion.objects.bulk_create(
            PackageVersion(
                package=package,
                number=1,
                weekly_hours=package.weekly_hours,
                created_at=plan["created_at"],
            )
            for plan, package in zip(self.plans, packages, strict=True)
        )
        visits, events, placements = [], [], []
        for plan, package, version in zip(self.plans, packages, versions, strict=True):
            for visit in plan["visits"]:
                visit.version = version
                visits.append(visit)
            for placement in plan.get("placements", []):
                placement.package = package
                placements.append(placement)
            events.append(
                PackageEvent(package=package, kind=EventKind.CREATED, at=plan["created_at"])
            )
            for kind, at, provider, detail in plan["events"]:
                events.append(
                    PackageEvent(
                        package=package, kind=kind, at=at, provider=provider, detail=detail
                    )
                )
            for offer in plan["offers"]:
                offer.package = package
                self.offers.append(offer)
            for hand_back in plan["hand_backs"]:
                hand_back.package = package
                self.hand_backs.append(hand_back)
        Visit.objects.bulk_create(visits)
        PackageEvent.objects.bulk_create(events)
        Offer.objects.bulk_create(self.offers)
        HandBack.objects.bulk_create(self.hand_backs)
        Placement.objects.bulk_create(placements)
        self._deliveries()

    # --- delivery and invoices ------------------------------------------------------

    def _deliveries(self):
        rng, yesterday = self.rng, self.today - datetime.timedelta(days=1)
        unsent_from = _period_start(self.today) - datetime.timedelta(days=PERIOD_DAYS)
        self.rates = RateBook.load()
        for plan in self.plans:
            package = plan["package"]
            if package.placed_at is None:
                continue
            terms = pay.PayTerms.of(package.provider)
            first = max(package.start_date, timezone.localdate(package.placed_at))
            last = min(package.ended_on or yesterday, yesterday)
            if package.provider.code == UNSENT_PROVIDER:
                last = min(last, unsent_from - datetime.timedelta(days=1))
            day = first
            while day <= last:
                for visit in plan["visits"]:
                    if DAYS[day.weekday()] in visit.days and rng.random() > 0.01:  # 1% missed
                        self.delivered.append(self._delivered(package, visit, day, terms))
                day += datetime.timedelta(days=1)
        DeliveredVisit.objects.bulk_create(self.delivered, batch_size=2000)
        rollup.add_visits(self.delivered)  # as recording them through the service would

    def _delivered(self, package, visit, day, terms):
        rng = self.rng
        late_by = rng.choice([0, 0, 5, 10, -5]) if rng.random() > 0.03 else rng.randrange(35, 60)
        short_by = 0 if rng.random() < 0.75 else rng.choice([2, 4, 8, 12, 20])
        actual = max(1, visit.duration_minutes - short_by)
        start = _add_minutes(visit.time, late_by)
        payable = pay.payable_minutes(actual=actual, planned=visit.duration_minutes, terms=terms)
        return DeliveredVisit(
            package=package,
            provider=package.provider,
            zone_id=package.zone_id,
            base_rate=self.rates.rate_on(package.provider_id, package.zone_id, day),
            date=day,
            actual_start=start,
            actual_end=_add_minutes(start, actual),
            carers=visit.carers,
            planned_visit=visit,
            planned_start=visit.time,
            planned_minutes=visit.duration_minutes,
            planned_carers=visit.carers,
            actual_minutes=actual,
            payable_minutes=payable * visit.carers,
            short=payable < visit.duration_minutes,
            late=late_by > pay.LATE_AFTER_MINUTES,
            recorded_at=timezone.make_aware(datetime.datetime.combine(day, visit.time))
            + datetime.timedelta(hours=2),
        )

    def invoices(self) -> int:
        """Each provider's completed 4-week periods, invoiced and mostly paid on time."""
        finance = (
            User.objects.filter(role__in=(Role.FINANCE, Role.ADMIN), is_active=True)
            .order_by("role")
            .first()
        )
        if finance is None:
            return 0
        rng, built = self.rng, 0
        providers = {d.provider for d in self.delivered}
        period = _period_start(self.today - datetime.timedelta(weeks=WEEKS))
        while period + datetime.timedelta(days=PERIOD_DAYS) <= self.today:
            end = period + datetime.timedelta(days=PERIOD_DAYS - 1)
            for provider in sorted(providers, key=lambda p: p.code):
                received = min(self.today, end + datetime.timedelta(days=rng.randrange(2, 8)))
                if not any(
                    d.provider == provider and period <= d.date <= end for d in self.delivered
                ):
                    continue
                invoice = build_invoice(
                    by=finance,
                    provider=provider,
                    period_start=period,
                    period_end=end,
                    reference=f"{provider.code}-{period:%Y%m%d}",
                    received_on=received,
                )
                built += 1
                # Mostly paid within the 28 days; now and then a few days late.
                paid_on = received + datetime.timedelta(
                    days=rng.choice([12, 18, 21, 25, 27, 27, 31, 34])
                )
                if paid_on < self.today:
                    approve_invoice(invoice_id=invoice.pk, by=finance)
                    pay_invoice(
                        invoice_id=invoice.pk,
                        by=finance,
                        paid_on=paid_on,
                        payment_reference=f"BACS-{invoice.pk:05d}",
                    )
            period = end + datetime.timedelta(days=1)
        return built


def _period_start(day):
    return day - datetime.timedelta(days=(day - ROTATION_EPOCH).days % PERIOD_DAYS)


def _working_hours(moment):
    """Referrals arrive in the working day (08:00 to 18:00, UK time)."""
    local = timezone.localtime(moment)
    hour = min(max(local.hour, 8), 17)
    return local.replace(hour=hour)


def _add_minutes(time, minutes):
    moment = datetime.datetime.combine(datetime.date(2000, 1, 1), time) + datetime.timedelta(
        minutes=minutes
    )
    return moment.time()


def _visit_plan(rng):
    """Morning personal care every day, and often lunch, tea and bedtime calls."""
    every_day = list(DAYS)
    double = rng.random() < 0.1
    visits = [
        Visit(
            days=every_day,
            time=datetime.time(8, 0),
            duration_minutes=rng.choice([45, 45, 60]),
            carers=2 if double else 1,
            purpose="personal_care",
        )
    ]
    if rng.random() < 0.6:
        visits.append(
            Visit(
                days=every_day,
                time=datetime.time(12, 30),
                duration_minutes=30,
                carers=1,
                purpose="meal",
            )
        )
    if rng.random() < 0.4:
        visits.append(
            Visit(
                days=every_day,
                time=datetime.time(17, 0),
                duration_minutes=30,
                carers=1,
                purpose="meal",
            )
        )
    if rng.random() < 0.5:
        visits.append(
            Visit(
                days=every_day,
                time=datetime.time(20, 30),
                duration_minutes=30,
                carers=2 if double else 1,
                purpose="personal_care",
            )
        )
    if rng.random() < 0.2:
        visits.append(
            Visit(
                days=["mon", "thu"],
                time=datetime.time(10, 0),
                duration_minutes=60,
                carers=1,
                purpose="domestic",
            )
        )
    return visits
