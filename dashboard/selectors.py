"""The dashboard's numbers: one selector per table, read by both the pages and the API.

Every selector takes a `Scope` (zones and UK dates, see filters.py) and does
a fixed number of aggregate queries, however many packages there are.
"""

import datetime
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, TruncDate

from brokering.models import Offer, OfferStatus
from core import clock
from invoicing.selectors import on_time_payment_counts, spend_per_period
from packages import commissioned
from packages.models import (
    HandBack,
    Package,
    PackageStatus,
    Priority,
    Review,
    ReviewOutcome,
    Source,
)
from providers.models import Capacity, Contract, ContractRole, Provider, contracts_in_force

from .aggregates import Minutes, Percentile

FILL_TARGETS = {"within_90_minutes_percent": 70, "within_4_hours_percent": 97}
NO_HOURS = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=2))


def _in_scope(queryset, scope, zone_field="zone_id"):
    if scope.zone_ids is None:
        return queryset
    return queryset.filter(**{f"{zone_field}__in": scope.zone_ids})


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _round(value):
    return None if value is None else round(value, 1)


# --- Unfilled now ------------------------------------------------------------

# Still in hospital: a discharge referral never placed yet (one handed back
# had gone home with care, so its wait is no longer a delayed discharge).
_IN_HOSPITAL = Q(source=Source.HOSPITAL_DISCHARGE) & (
    Q(waiting_since__isnull=True) | Q(waiting_since=F("submitted_at"))
)
_UNFILLED_MEASURES = {
    "packages": Count("pk"),
    "hours": Coalesce(Sum("weekly_hours"), NO_HOURS),
    "people": Count("person_id", distinct=True),
    "waiting_from": Min(Coalesce("waiting_since", "submitted_at")),
    "hospital_people": Count("person_id", distinct=True, filter=_IN_HOSPITAL),
    # A person is ready to leave hospital from the day the ward says so, or
    # failing that from the day the referral was submitted.
    "hospital_waiting_since": Min(
        Coalesce("hospital_ready_on", TruncDate("submitted_at")), filter=_IN_HOSPITAL
    ),
}


def unfilled_by_zone(scope):
    """Open (unfilled) packages now, per zone in scope and in total.

    People are distinct persons: someone with two open packages counts once
    (in the total too). Drafts, placed, ended and cancelled packages are not
    unfilled. Zones with nothing unfilled are listed with zeros.
    """
    open_packages = _in_scope(Package.objects.filter(status=PackageStatus.OPEN), scope)
    by_zone = {
        row.pop("zone_id"): row
        for row in open_packages.order_by().values("zone_id").annotate(**_UNFILLED_MEASURES)
    }
    now = clock.now()
    # Most of a national deployment's zones have nothing unfilled: their numbers are
    # worked out once rather than zone by zone.
    nothing = _unfilled_numbers(None, now, scope.today)
    zones = [
        {
            "zone": code,
            "name": name,
            **(_unfilled_numbers(by_zone[pk], now, scope.today) if pk in by_zone else nothing),
        }
        for pk, code, name in scope.zones().order_by("code").values_list("pk", "code", "name")
    ]
    total = _unfilled_numbers(open_packages.aggregate(**_UNFILLED_MEASURES), now, scope.today)
    return {"zones": zones, "total": total}


def _unfilled_numbers(row, now, today):
    row = row or {}
    first = row.get("waiting_from")
    hospital_since = row.get("hospital_waiting_since")
    return {
        "packages": row.get("packages", 0),
        "hours": row.get("hours") or Decimal("0.00"),
        "people": row.get("people", 0),
        "longest_wait_hours": _round((now - first).total_seconds() / 3600) if first else None,
        "hospital_people": row.get("hospital_people", 0),
        "hospital_longest_days": max((today - hospital_since).days, 0) if hospital_since else None,
    }


# --- Time to fill --------------------------------------------------------------

_TO_FILL = Minutes("submitted_at", "placed_at")


def _filled_within(minutes):
    # Placed by a moment rather than minutes worked out row by row: the same answer,
    # and cheaper over a national window's tens of thousands of placements.
    return Q(placed_at__lte=F("submitted_at") + datetime.timedelta(minutes=minutes))


# COUNT(*) and COUNT(1) rather than COUNT(id), so that an index holding placed_at,
# submitted_at, zone and priority answers without reading the table.
_FILL_MEASURES = {
    "placed": Count("*"),
    "within_90": Count(Value(1), filter=_filled_within(90)),
    "within_240": Count(Value(1), filter=_filled_within(240)),
    "median": Percentile(_TO_FILL, 0.5),
    "p90": Percentile(_TO_FILL, 0.9),
}


def _placed_in(scope):
    placed = Package.objects.filter(
        placed_at__gte=scope.start, placed_at__lt=scope.end, submitted_at__isnull=False
    )
    return _in_scope(placed, scope)


def _fill_numbers(row):
    row = row or {}
    placed = row.get("placed", 0)
    return {
        "placed": placed,
        "within_90_minutes_percent": _percent(row.get("within_90", 0), placed),
        "within_4_hours_percent": _percent(row.get("within_240", 0), placed),
        "median_minutes": _round(row.get("median")),
        "p90_minutes": _round(row.get("p90")),
    }


def time_to_fill(scope):
    """Submitted to placed, for packages placed between `since` and `until` (UK dates)."""
    return _fill_numbers(_placed_in(scope).aggregate(**_FILL_MEASURES))


def _fill_measures_where(prefix, condition):
    return {
        f"{prefix}placed": Count(Value(1), filter=condition),
        f"{prefix}within_90": Count(Value(1), filter=condition & _filled_within(90)),
        f"{prefix}within_240": Count(Value(1), filter=condition & _filled_within(240)),
        f"{prefix}median": Percentile(_TO_FILL, 0.5, filter=condition),
        f"{prefix}p90": Percentile(_TO_FILL, 0.9, filter=condition),
    }


def window_mondays(scope):
    """The Mondays that start the weeks of the window (the first may start before it)."""
    monday = clock.week_start(scope.since)
    mondays = []
    while monday <= scope.until:
        mondays.append(monday)
        monday += datetime.timedelta(weeks=1)
    return mondays


def _week_of_placement(mondays):
    """The index in `mondays` of the week a package was placed in, by comparing its time
    with the weeks' first moments, halving the weeks each time: a few comparisons a row
    for any window. Truncating each time to its UK week instead converts every row to
    UK time, a third of the week-by-week query's time over a national window."""
    starts = [clock.midnight(monday) for monday in mondays]

    def week_among(first, last):
        if first == last:
            return Value(first)
        middle = (first + last + 1) // 2
        return Case(
            When(placed_at__lt=starts[middle], then=week_among(first, middle - 1)),
            default=week_among(middle, last),
        )

    return week_among(0, len(starts) - 1)


def time_to_fill_breakdown(scope, zone_ids=None):
    """Time to fill overall, per zone in scope, for urgent and for standard packages, and
    week by week (weeks start on Monday, in the UK). `zone_ids` lists only those zones
    (a page of the table: the others are not measured); by default every zone in scope.

    A median or a percentile of a whole cannot be made from those of its parts, so
    each breakdown is measured on its own rows: three scans of the packages placed
    in the window (by zone, by week, and one whose measures are filtered by
    priority besides the overall ones), whatever the number of packages or weeks.
    """
    placed = _placed_in(scope).order_by()
    measures = dict(_FILL_MEASURES)
    for value, _label in Priority.choices:
        measures.update(_fill_measures_where(f"{value}__", Q(priority=value)))
    row = placed.aggregate(**measures)
    return {
        "overall": _fill_numbers(row),
        "by_zone": _fill_by_zone(scope, placed, zone_ids),
        "by_priority": [
            {
                "priority": value,
                "label": label,
                **_fill_numbers({name: row[f"{value}__{name}"] for name in _FILL_MEASURES}),
            }
            for value, label in Priority.choices
        ],
        "by_week": _fill_by_week(scope, placed),
    }


def _fill_by_zone(scope, placed, zone_ids):
    zones = scope.zones()
    if zone_ids is not None:
        zones, placed = zones.filter(pk__in=zone_ids), placed.filter(zone_id__in=zone_ids)
    by_zone = {row["zone_id"]: row for row in placed.values("zone_id").annotate(**_FILL_MEASURES)}
    return [
        {"zone": code, "name": name, **_fill_numbers(by_zone.get(pk))}
        for pk, code, name in zones.order_by("code").values_list("pk", "code", "name")
    ]


def _fill_by_week(scope, placed):
    mondays = window_mondays(scope)
    by_week = {
        mondays[row["week"]]: row
        for row in placed.annotate(week=_week_of_placement(mondays))
        .values("week")
        .annotate(**_FILL_MEASURES)
    }
    return [{"week_start": monday, **_fill_numbers(by_week.get(monday))} for monday in mondays]


# --- Providers ---------------------------------------------------------------


_OFFER_MEASURES = {
    "offers": Count("*"),
    "accepted": Count(Value(1), filter=Q(status=OfferStatus.ACCEPTED)),
    "declined": Count(Value(1), filter=Q(status=OfferStatus.DECLINED)),
    "expired": Count(Value(1), filter=Q(status=OfferStatus.EXPIRED)),
    "median_answer": Percentile(
        Minutes("sent_at", "answered_at"),
        0.5,
        filter=Q(status__in=(OfferStatus.ACCEPTED, OfferStatus.DECLINED)),
    ),
}


def _offers_in(scope):
    offers = Offer.objects.filter(sent_at__gte=scope.start, sent_at__lt=scope.end)
    return _in_scope(offers, scope, "package__zone_id")


def providers_offered_work(scope):
    """Ids of the providers offered work between `since` and `until` in the zones, those
    offered the most first: the rows of the provider table, before paging (a `Ranking`,
    read a page at a time)."""
    # COUNT(*): the covering index on the time sent answers without the table.
    grouped = _offers_in(scope).order_by().values("provider_id").annotate(offers=Count("*"))
    return Ranking(grouped.order_by("-offers", "provider_id"), "provider_id")


class Ranking:
    """The `key` of a grouped queryset's rows, in its order, read a slice at a time: each
    slice with how many rows there are, in one statement (COUNT(*) OVER ()), so that a
    Paginator's count and page of it are one query, never the whole ranking (nationally
    13,000 providers' ids, most of the providers page's time). Iterated, it reads all of
    them (a CSV)."""

    def __init__(self, ranked, key):
        self._ranked = ranked
        self._with_total = ranked.annotate(rows=Window(Count("*"))).values_list(key, "rows")
        self._total = None
        self._known = {}  # position: id

    def read_page(self, number, per_page):
        """Read page `number` (a page number as given in a URL) with the count, so that a
        Paginator over the ranking then asks nothing more of the database."""
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = 1
        self[(number - 1) * per_page : number * per_page]

    def count(self):
        if self._total is None:
            self._total = self._ranked.count()
        return self._total

    def __len__(self):
        return self.count()

    def __iter__(self):
        return iter(self[0:None])

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("A ranking is read by slices.")
        start, stop = index.start or 0, index.stop
        end = stop if self._total is None or stop is None else min(stop, self._total)
        if end is None or any(position not in self._known for position in range(start, end)):
            rows = list(self._with_total[start:stop])
            if rows:
                self._total = rows[0][1]
            elif start == 0:
                self._total = 0
            self._known.update(enumerate((pk for pk, _ in rows), start))
            end = start + len(rows)
        return [self._known[position] for position in range(start, end)]


def provider_performance(scope, provider_ids):
    """Per provider (in the order given), for offers sent and hand-backs between `since`
    and `until` in the zones:

    offers received; acceptance rate (accepted out of those accepted, declined
    or left to expire: a withdrawn or pending offer was never the provider's
    to answer); median minutes to answer; hand-backs; weekly hours placed now;
    spare capacity declared for the weeks of the window against the weekly
    hours of packages placed with it in that time; and invoices paid on time
    over the last 12 months (invoicing's measure). Each number is one query
    over the given providers only, so a page of them is quick at any scale.
    """
    ids = list(provider_ids)
    rows = {pk: {} for pk in ids}

    def add(queryset, **measures):
        grouped = queryset.filter(provider_id__in=ids).order_by().values("provider_id")
        for row in grouped.annotate(**measures):
            rows[row.pop("provider_id")].update(row)

    add(_offers_in(scope), **_OFFER_MEASURES)
    hand_backs = HandBack.objects.filter(at__gte=scope.start, at__lt=scope.end)
    add(_in_scope(hand_backs, scope, "package__zone_id"), hand_backs=Count("pk"))
    packages = _in_scope(Package.objects.all(), scope)
    add(packages.filter(status=PackageStatus.PLACED), placed_hours=Sum("weekly_hours"))
    add(
        packages.filter(placed_at__gte=scope.start, placed_at__lt=scope.end),
        new_hours=Sum("weekly_hours"),
    )
    first_monday = clock.week_start(scope.since)
    capacity = Capacity.objects.filter(week_start__range=(first_monday, scope.until))
    add(_in_scope(capacity, scope), capacity_hours=Sum("hours"))
    providers = dict(
        (pk, (code, name))
        for pk, code, name in Provider.objects.filter(pk__in=ids).values_list("pk", "code", "name")
    )
    on_time = on_time_payment_counts(ids, today=scope.today)
    return [_provider_numbers(*providers[pk], rows[pk], on_time.get(pk, {})) for pk in ids]


def _provider_numbers(code, name, row, paid):
    answerable = row.get("accepted", 0) + row.get("declined", 0) + row.get("expired", 0)
    return {
        "provider": code,
        "name": name,
        "offers": row.get("offers", 0),
        "accepted": row.get("accepted", 0),
        "declined": row.get("declined", 0),
        "expired": row.get("expired", 0),
        "acceptance_percent": _percent(row.get("accepted", 0), answerable),
        "median_answer_minutes": _round(row.get("median_answer")),
        "hand_backs": row.get("hand_backs", 0),
        "placed_hours": row.get("placed_hours") or Decimal("0.00"),
        "capacity_hours": row.get("capacity_hours") or Decimal("0.00"),
        "new_hours": row.get("new_hours") or Decimal("0.00"),
        "invoices": paid.get("invoices", 0),
        "paid_on_time_percent": None if paid.get("percent") is None else float(paid["percent"]),
    }


def placed_hours_by_zone(scope):
    """Each provider's share of the weekly hours placed (live packages) in each zone."""
    rows = list(
        _in_scope(Package.objects.filter(status=PackageStatus.PLACED), scope)
        .order_by()
        .values("zone__code", "zone__name", "provider__code", "provider__name")
        .annotate(hours=Sum("weekly_hours"), packages=Count("pk"))
    )
    zone_hours = {}
    for row in rows:
        zone_hours[row["zone__code"]] = zone_hours.get(row["zone__code"], 0) + row["hours"]
    result = [
        {
            "zone": row["zone__code"],
            "zone_name": row["zone__name"],
            "provider": row["provider__code"],
            "provider_name": row["provider__name"],
            "packages": row["packages"],
            "hours": row["hours"],
            "share_percent": _percent(row["hours"], zone_hours[row["zone__code"]]),
        }
        for row in rows
    ]
    result.sort(key=lambda r: (r["zone"], -r["hours"], r["provider"]))
    return result


# --- Spend ---------------------------------------------------------------------

# The spend rollups' periods (their rows per zone and period serve whole ones).
PERIOD_DAYS = commissioned.PERIOD_DAYS
period_start = commissioned.spend_period_start


def spend_by_zone_and_period(scope, shown=None):
    """Commissioned, delivered and payable hours and pounds per zone, for each 4-week
    period that overlaps the window (invoicing's spend measure, period by period).

    The last period runs only to `until`, and never past yesterday: today's visits
    are still being recorded, and counting today's commissioned hours without them
    would show a shortfall in delivery that is only the time of day. `shown`, a slice
    of the (period, zone) pairs in that order, keeps only their rows (totals are of all).
    """
    spans = _spend_periods(scope)
    if not spans:
        return []
    spend = spend_per_period(spans, scope.zone_ids, shown)
    return [
        {"start": start, "end": end, **sums}
        for (start, end), sums in zip(spans, spend, strict=True)
    ]


def spend_row_count(scope):
    """How many (period, zone) rows `spend_by_zone_and_period` has."""
    return len(_spend_periods(scope)) * scope.zones().count()


def _spend_periods(scope):
    """(start, end) of each period overlapping the window, the last cut at its end."""
    last = min(scope.until, scope.today - datetime.timedelta(days=1))
    spans = []
    start = period_start(scope.since)
    while start <= last:
        end = min(start + datetime.timedelta(days=PERIOD_DAYS - 1), last)
        spans.append((start, end))
        start = end + datetime.timedelta(days=1)
    return spans


def guaranteed_hours(scope):
    """Each contract with guaranteed hours in the scope's zones: the hours a week
    guaranteed against those used (the weekly hours of the packages placed with its
    provider in the zone now), in zone and provider order.

    The contracts as plain values, and the hours used grouped by provider and zone in a
    second query only when there are any: a subquery annotated on contract instances
    cost the spend page 3 ms to build, for no contract at all."""
    contracts = Contract.objects.filter(guaranteed_hours__gt=0).filter(
        contracts_in_force(scope.today)
    )
    if scope.zone_ids is not None:
        contracts = contracts.filter(zone_id__in=scope.zone_ids)
    rows = list(
        contracts.order_by("zone__code", "provider__code").values_list(
            "zone__code", "provider__code", "role", "guaranteed_hours", "zone_id", "provider_id"
        )
    )
    used = {}
    if rows:
        placed = Package.objects.filter(
            status=PackageStatus.PLACED,
            zone_id__in={row[4] for row in rows},
            provider_id__in={row[5] for row in rows},
        )
        used = {
            (zone_id, provider_id): total
            for zone_id, provider_id, total in placed.order_by()
            .values_list("zone_id", "provider_id")
            .annotate(total=Sum("weekly_hours"))
        }
    roles = dict(ContractRole.choices)
    result = []
    for zone, provider, role, guaranteed, zone_id, provider_id in rows:
        hours_used = used.get((zone_id, provider_id), Decimal(0))
        result.append(
            {
                "zone": zone,
                "provider": provider,
                "role": roles[role],
                "guaranteed_hours": guaranteed,
                "used_hours": hours_used,
                "unfilled_hours": max(Decimal(0), guaranteed - hours_used),
            }
        )
    return result


# --- Reviews and outcomes ------------------------------------------------------

# Reviews due "soon" on the dashboard: within the fortnight ahead.
REVIEWS_AHEAD_DAYS = 14
# Care that follows a reablement package within this many days of its end is ongoing care.
ONGOING_CARE_DAYS = 7
REFERRED_AGAIN_DAYS = 365


def outcomes(scope):
    """Reviews due and overdue now; for reviews held in the window, the weekly hours before
    against the hours after (the package's hours now, or none once a review ended it); of
    the reablement packages ended in the window, the share followed by no ongoing care;
    of the people whose package ended in the window, those referred again within 12 months.
    Four aggregate queries, however many packages."""
    today = scope.today
    placed = _in_scope(Package.objects.filter(status=PackageStatus.PLACED), scope)
    due = placed.aggregate(
        overdue=Count("pk", filter=Q(review_due_on__lt=today)),
        due_soon=Count(
            "pk",
            filter=Q(
                review_due_on__gte=today,
                review_due_on__lte=today + datetime.timedelta(days=REVIEWS_AHEAD_DAYS),
            ),
        ),
    )
    return {**due, **_hours_released(scope), **_reablement(scope), **_referred_again(scope)}


def _hours_released(scope):
    reviews = _in_scope(
        Review.objects.filter(held_on__gte=scope.since, held_on__lte=scope.until),
        scope,
        "package__zone_id",
    )
    after = Case(
        When(outcome=ReviewOutcome.END, then=NO_HOURS),
        default=F("package__weekly_hours"),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )
    row = reviews.aggregate(
        reviews=Count("pk"),
        hours_before=Coalesce(Sum("weekly_hours_before"), NO_HOURS),
        hours_after=Coalesce(Sum(after), NO_HOURS),
    )
    return {**row, "hours_released": row["hours_before"] - row["hours_after"]}


def _ended_in(scope):
    ended = Package.objects.filter(
        status=PackageStatus.ENDED, ended_on__gte=scope.since, ended_on__lte=scope.until
    )
    return _in_scope(ended, scope)


def _reablement(scope):
    follow_on = (
        Package.objects.filter(person_id=OuterRef("person_id"))
        .exclude(pk=OuterRef("pk"))
        .exclude(status=PackageStatus.CANCELLED)
        .filter(
            start_date__gte=OuterRef("start_date"),
            start_date__lte=OuterRef("ended_on") + datetime.timedelta(days=ONGOING_CARE_DAYS),
        )
    )
    row = (
        _ended_in(scope)
        .filter(source=Source.REABLEMENT)
        .aggregate(
            reablement_ended=Count("pk"),
            no_ongoing_care=Count("pk", filter=~Exists(follow_on)),
        )
    )
    share = _percent(row["no_ongoing_care"], row["reablement_ended"])
    return {**row, "no_ongoing_care_percent": share}


def _referred_again(scope):
    again = Package.objects.filter(
        person_id=OuterRef("person_id"),
        created_at__gt=OuterRef("ended_at"),
        created_at__lte=OuterRef("ended_at") + datetime.timedelta(days=REFERRED_AGAIN_DAYS),
    ).exclude(pk=OuterRef("pk"))
    row = _ended_in(scope).aggregate(
        people_ended=Count("person_id", distinct=True),
        referred_again=Count("person_id", distinct=True, filter=Exists(again)),
    )
    return {**row, "referred_again_percent": _percent(row["referred_again"], row["people_ended"])}
