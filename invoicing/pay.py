"""The pay rule: what a provider is paid for the care it delivered.

Pure functions, no database, so that the rule can be read (and tested) in one place.

Per carer, a delivered visit pays its actual time, capped at the planned duration;
a visit no more than the provider's tolerance (default 5 minutes) short of planned
pays as planned; otherwise the actual time is rounded down to the provider's
rounding step (default 5 minutes). A missed visit (no time delivered) pays nothing.
A double-handed call pays each carer, up to the number of carers planned. Over a
flexible 4-week plan, the payable minutes of each 4-week cycle (counted from the
package's start date) are capped by the plan's total plus its contingency hours,
taken by the cycle's visits in the order they happened.

Minutes are real elapsed time in the UK (Europe/London): a visit through a clock
change counts the hour lost or gained, and so does its planned duration, which runs
by the wall clock (a night sit planned 22:00 for 8 hours ends at 06:00 whatever the
clocks do). A time in the hour skipped in March does not exist on that date; a time
in the hour repeated in October is read as its first occurrence.

Rates: the provider's base rate in force on the day in the zone (providers.rates), raised
by its weekend or England bank holiday uplift; on a day that is both, the higher uplift applies (uplifts never stack).
England's bank holidays are the days gov.uk lists: when one falls at a weekend, the
substitute weekday is the holiday, not the weekend day.
Money is Decimal, rounded once per invoice line to pence (half up); no VAT, home
care from a CQC-registered provider is exempt.
"""

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import lru_cache

import holidays

MINUTES_PER_DAY = 24 * 60
PENCE = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)
PLAN_CYCLE_DAYS = 28
# ECM norm: a call starting more than 30 minutes after its planned time is late.
LATE_AFTER_MINUTES = 30
# A call this close to its planned time across midnight is that call, early or late.
ACROSS_MIDNIGHT_MINUTES = 3 * 60
UK = zoneinfo.ZoneInfo("Europe/London")
ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class PayTerms:
    """A provider contract's pay terms (its base rates are over time: providers.rates)."""

    weekend_uplift_percent: Decimal = Decimal(0)
    bank_holiday_uplift_percent: Decimal = Decimal(0)
    tolerance_minutes: int = 5
    rounding_minutes: int = 5

    @classmethod
    def of(cls, provider) -> "PayTerms":
        return cls(
            weekend_uplift_percent=provider.weekend_uplift_percent,
            bank_holiday_uplift_percent=provider.bank_holiday_uplift_percent,
            tolerance_minutes=provider.pay_tolerance_minutes,
            rounding_minutes=max(1, provider.pay_rounding_minutes),
        )


def minutes_of_day(value: datetime.time) -> int:
    return value.hour * 60 + value.minute


def uk_moment(day: datetime.date, value: datetime.time) -> datetime.datetime:
    """The moment a UK wall-clock time on `day` names; in October's repeated hour, the
    first (fold=0: still summer time)."""
    return datetime.datetime.combine(day, value, tzinfo=UK).replace(fold=0)


def exists_in_uk(day: datetime.date, value: datetime.time) -> bool:
    """False for a time in the hour the clocks skip in March (01:00-01:59 that Sunday)."""
    moment = uk_moment(day, value)
    return moment.astimezone(datetime.UTC).astimezone(UK).time() == value


def elapsed_minutes(first: datetime.datetime, last: datetime.datetime) -> int:
    """Real minutes between two UK moments (subtracting within one zone would not count
    the clock change)."""
    seconds = (last.astimezone(datetime.UTC) - first.astimezone(datetime.UTC)).total_seconds()
    return int(seconds // 60)


def end_date(day: datetime.date, start: datetime.time, end: datetime.time) -> datetime.date:
    """The date a visit begun on `day` ended: the next day when the end is before the start."""
    return day + ONE_DAY if end < start else day


@lru_cache(maxsize=4096)
def clocks_steady(day: datetime.date) -> bool:
    """Whether the UK clocks keep one offset from `day`'s midnight to the next: on such a
    day (all but two a year) wall-clock minutes are real minutes, with no time zone sums
    (an import or an invoice asks this of every visit)."""
    midnight = datetime.time(0)
    return uk_moment(day, midnight).utcoffset() == uk_moment(day + ONE_DAY, midnight).utcoffset()


def _seconds_of_day(value: datetime.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def actual_minutes(day: datetime.date, start: datetime.time, end: datetime.time) -> int:
    """Real minutes from start on `day` to end. An end before the start is on the next day:
    the visit ran past midnight (23:40 to 00:10 is 30 minutes); an end equal to the start
    is zero."""
    if end == start:
        return 0
    last_day = end_date(day, start, end)
    if clocks_steady(day) and clocks_steady(last_day):
        return (_seconds_of_day(end) - _seconds_of_day(start)) % (MINUTES_PER_DAY * 60) // 60
    return elapsed_minutes(uk_moment(day, start), uk_moment(last_day, end))


def planned_minutes_on(day: datetime.date, start: datetime.time, duration: int) -> int:
    """Real minutes of a visit planned at `start` for `duration` wall-clock minutes on `day`."""
    days_on = (minutes_of_day(start) + duration) // MINUTES_PER_DAY
    if duration >= 0 and days_on <= 1 and clocks_steady(day) and clocks_steady(day + ONE_DAY):
        return duration
    wall_end = datetime.datetime.combine(day, start) + datetime.timedelta(minutes=duration)
    return elapsed_minutes(uk_moment(day, start), uk_moment(wall_end.date(), wall_end.time()))


def minutes_after(planned: datetime.time, actual: datetime.time) -> int:
    """How many minutes `actual` is after `planned` (negative when earlier) on the same day;
    counted across midnight only when that brings them within a few hours (a 23:50 call
    begun at 00:20 is 30 minutes late). So a morning call made in the evening is late, not
    hours early for the next morning."""
    same_day = minutes_of_day(actual) - minutes_of_day(planned)
    across_midnight = same_day - MINUTES_PER_DAY if same_day > 0 else same_day + MINUTES_PER_DAY
    return across_midnight if abs(across_midnight) <= ACROSS_MIDNIGHT_MINUTES else same_day


def payable_minutes(*, actual: int, planned: int | None, terms: PayTerms) -> int:
    """Payable minutes for one carer. `planned` None: nothing caps it (an unplanned visit
    under a flexible plan, which the 4-week cap limits instead)."""
    if actual <= 0:
        return 0
    if planned is not None and actual >= planned - terms.tolerance_minutes:
        return planned
    return actual - actual % terms.rounding_minutes


def paid_carers(*, delivered: int, planned: int | None) -> int:
    """Carers paid for: those who came, up to those planned."""
    return delivered if planned is None else min(delivered, planned)


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[datetime.date]:
    # The package lists a holiday on its own date and on its substitute day; gov.uk (and
    # the law) make only the substitute weekday a bank holiday, never the weekend day.
    listed = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return frozenset(day for day in listed if day.weekday() < 5)


def is_bank_holiday(day: datetime.date) -> bool:
    """England's bank holidays as gov.uk lists them (substitute weekdays), computed offline."""
    return day in _bank_holidays(day.year)


def uplift_percent(day: datetime.date, terms: PayTerms) -> Decimal:
    uplifts = [Decimal(0)]
    if day.weekday() >= 5:
        uplifts.append(terms.weekend_uplift_percent)
    if is_bank_holiday(day):
        uplifts.append(terms.bank_holiday_uplift_percent)
    return max(uplifts)


def hourly_rate_on(day: datetime.date, base_rate: Decimal, terms: PayTerms) -> Decimal:
    """The hourly rate for care delivered on `day` at `base_rate` (the base rate in force
    that day), to a hundredth of a penny."""
    rate = base_rate * (HUNDRED + uplift_percent(day, terms)) / HUNDRED
    return rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def amount(minutes_at_rates) -> Decimal:
    """Pounds for (minutes, hourly rate) pairs, rounded once to pence."""
    total = sum((Decimal(minutes) * rate for minutes, rate in minutes_at_rates), Decimal(0))
    return (total / 60).quantize(PENCE, rounding=ROUND_HALF_UP)


def hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(PENCE, rounding=ROUND_HALF_UP)


def plan_cycle(start_date: datetime.date, day: datetime.date) -> int:
    """Which 4-week cycle of a flexible plan `day` falls in (0 is the first)."""
    return (day - start_date).days // PLAN_CYCLE_DAYS


def cycle_dates(start_date: datetime.date, cycle: int) -> tuple[datetime.date, datetime.date]:
    first = start_date + datetime.timedelta(days=cycle * PLAN_CYCLE_DAYS)
    return first, first + datetime.timedelta(days=PLAN_CYCLE_DAYS - 1)


def cap_minutes(cap_hours: Decimal) -> int:
    return int((cap_hours * 60).to_integral_value(rounding=ROUND_FLOOR))


def apply_cap(minutes: list[int], allowance: int) -> list[int]:
    """Share `allowance` minutes among visits in order: each takes what it can."""
    paid = []
    for wanted in minutes:
        taken = max(0, min(wanted, allowance))
        allowance -= taken
        paid.append(taken)
    return paid


def planned_day_hours(week_hours: list[Decimal], start_date, day) -> Decimal:
    """A flexible plan's hours for one day: its week's hours spread evenly over 7 days."""
    week = ((day - start_date).days // 7) % 4
    return week_hours[week] / 7
