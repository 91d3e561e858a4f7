"""The pay rule, as a table: actual against planned to payable minutes, rates and the cap."""

import datetime
from decimal import Decimal

import pytest

from invoicing import pay

TERMS = pay.PayTerms()


@pytest.mark.parametrize(
    ("actual", "planned", "payable", "why"),
    [
        (45, 45, 45, "exactly as planned"),
        (60, 45, 45, "capped at the planned duration"),
        (44, 45, 45, "a minute short is within tolerance"),
        (40, 45, 45, "five minutes short is still within tolerance"),
        (39, 45, 35, "six minutes short: rounded down to 5 minutes"),
        (37, 45, 35, "rounded down, not to the nearest"),
        (35, 45, 35, "already a multiple of 5"),
        (1, 45, 0, "a minute rounds down to nothing"),
        (0, 45, 0, "missed: nothing"),
        (25, 30, 30, "tolerance on a 30-minute call"),
        (24, 30, 20, "past tolerance on a 30-minute call"),
        (10, 15, 15, "a medication check 5 minutes short"),
        (9, 15, 5, "a medication check 6 minutes short"),
        (47, None, 45, "unplanned (flexible plan): rounded down, no cap"),
    ],
)
def test_payable_minutes_for_one_carer(actual, planned, payable, why):
    assert pay.payable_minutes(actual=actual, planned=planned, terms=TERMS) == payable, why


@pytest.mark.parametrize(
    ("tolerance", "rounding", "actual", "planned", "payable"),
    [
        (0, 15, 44, 45, 30),
        (0, 15, 45, 45, 45),
        (10, 1, 35, 45, 45),
        (10, 1, 34, 45, 34),
    ],
)
def test_pay_rule_is_configurable_per_provider(tolerance, rounding, actual, planned, payable):
    terms = pay.PayTerms(tolerance_minutes=tolerance, rounding_minutes=rounding)
    assert pay.payable_minutes(actual=actual, planned=planned, terms=terms) == payable


@pytest.mark.parametrize(
    ("delivered", "planned", "paid"),
    [(2, 2, 2), (1, 2, 1), (2, 1, 1), (1, 1, 1), (2, None, 2)],
)
def test_double_handed_calls_are_paid_per_carer_up_to_the_plan(delivered, planned, paid):
    assert pay.paid_carers(delivered=delivered, planned=planned) == paid


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        ("08:00", "08:45", 45),
        ("23:40", "00:10", 30),
        ("22:00", "07:00", 540),
        ("08:00", "08:00", 0),
    ],
)
def test_actual_minutes_an_end_before_the_start_is_past_midnight(start, end, minutes):
    parse = datetime.time.fromisoformat
    assert pay.actual_minutes(datetime.date(2025, 3, 12), parse(start), parse(end)) == minutes


@pytest.mark.parametrize(
    ("day", "start", "end", "minutes", "why"),
    [
        ("2026-03-28", "22:00", "06:00", 420, "clocks forward at 01:00 on Sunday 29 March 2026"),
        ("2026-03-29", "00:30", "02:30", 60, "the hour from 01:00 never happens"),
        ("2026-10-24", "22:00", "06:00", 540, "clocks back at 02:00 on Sunday 25 October 2026"),
        ("2026-10-25", "00:30", "01:30", 60, "01:30 is its first occurrence, in summer time"),
        ("2026-10-25", "01:30", "02:30", 120, "from the first 01:30 to 02:30 winter time"),
        ("2026-10-25", "01:10", "01:50", 40, "both in the first of the two hours"),
        ("2026-10-24", "23:00", "03:00", 300, "across midnight and the change"),
        ("2026-10-26", "22:00", "06:00", 480, "the night after: an ordinary night"),
    ],
)
def test_actual_minutes_are_real_elapsed_time_across_clock_changes(day, start, end, minutes, why):
    parse = datetime.time.fromisoformat
    day = datetime.date.fromisoformat(day)
    assert pay.actual_minutes(day, parse(start), parse(end)) == minutes, why


@pytest.mark.parametrize(
    ("day", "start", "duration", "minutes"),
    [
        ("2026-03-28", "22:00", 480, 420),  # planned 22:00 to 06:00 by the clock
        ("2026-10-24", "22:00", 480, 540),
        ("2026-10-24", "08:00", 45, 45),
        ("2026-03-12", "22:00", 480, 480),
    ],
)
def test_a_planned_duration_runs_by_the_wall_clock(day, start, duration, minutes):
    day = datetime.date.fromisoformat(day)
    planned = pay.planned_minutes_on(day, datetime.time.fromisoformat(start), duration)
    assert planned == minutes


def test_the_steady_day_shortcut_agrees_with_the_time_zone_sums_every_day_of_a_year():
    """Minutes are counted without time zone sums on days the clocks keep their offset:
    every day of 2026 (both changes included), day and night visits, agree with counting
    them between UK moments."""
    times = [datetime.time(h, m, s) for h, m, s in ((0, 30, 0), (8, 0, 0), (22, 15, 30))]
    day = datetime.date(2026, 1, 1)
    while day.year == 2026:
        for start in times:
            for end in times:
                end_day = pay.end_date(day, start, end)
                slow = pay.elapsed_minutes(pay.uk_moment(day, start), pay.uk_moment(end_day, end))
                assert pay.actual_minutes(day, start, end) == (slow if end != start else 0), day
            for duration in (45, 480, 1500):
                wall_end = datetime.datetime.combine(day, start) + datetime.timedelta(
                    minutes=duration
                )
                slow = pay.elapsed_minutes(
                    pay.uk_moment(day, start), pay.uk_moment(wall_end.date(), wall_end.time())
                )
                assert pay.planned_minutes_on(day, start, duration) == slow, (day, duration)
        day += datetime.timedelta(days=1)
    assert not pay.clocks_steady(datetime.date(2026, 3, 29))
    assert not pay.clocks_steady(datetime.date(2026, 10, 25))


@pytest.mark.parametrize(
    ("day", "time", "exists"),
    [
        ("2027-03-28", "01:15", False),  # the clocks go from 01:00 to 02:00 that Sunday
        ("2027-03-28", "01:00", False),
        ("2027-03-28", "01:59", False),
        ("2027-03-28", "00:59", True),
        ("2027-03-28", "02:00", True),
        ("2027-03-27", "01:15", True),
        ("2026-10-25", "01:15", True),  # repeated, not missing
    ],
)
def test_the_hour_skipped_in_march_does_not_exist(day, time, exists):
    day = datetime.date.fromisoformat(day)
    assert pay.exists_in_uk(day, datetime.time.fromisoformat(time)) is exists


@pytest.mark.parametrize(
    ("planned", "actual", "after"),
    [
        ("08:00", "08:31", 31),
        ("08:00", "07:50", -10),
        ("23:50", "00:20", 30),
        ("00:10", "23:55", -15),
        ("08:00", "21:00", 780),  # a morning call made in the evening: late, not early
        ("08:00", "23:40", 940),
        ("20:30", "06:00", -870),
    ],
)
def test_minutes_after_the_planned_time_across_midnight(planned, actual, after):
    parse = datetime.time.fromisoformat
    assert pay.minutes_after(parse(planned), parse(actual)) == after


UPLIFTS = pay.PayTerms(
    weekend_uplift_percent=Decimal("10"),
    bank_holiday_uplift_percent=Decimal("50"),
)


@pytest.mark.parametrize(
    ("day", "rate", "why"),
    [
        (datetime.date(2025, 3, 12), Decimal("24.96"), "a Wednesday"),
        (datetime.date(2025, 3, 15), Decimal("27.4560"), "a Saturday: weekend uplift"),
        (datetime.date(2025, 3, 16), Decimal("27.4560"), "a Sunday: weekend uplift"),
        (datetime.date(2025, 12, 25), Decimal("37.44"), "Christmas Day, a Thursday"),
        (datetime.date(2025, 8, 25), Decimal("37.44"), "Late Summer Bank Holiday"),
        (datetime.date(2026, 12, 25), Decimal("37.44"), "Christmas Day 2026, a Friday"),
        (datetime.date(2026, 12, 26), Decimal("27.4560"), "Boxing Day 2026 is a Saturday: weekend"),
        (datetime.date(2026, 12, 28), Decimal("37.44"), "Boxing Day's substitute Monday"),
        (datetime.date(2027, 12, 25), Decimal("27.4560"), "Christmas Day 2027 is a Saturday"),
        (datetime.date(2027, 12, 26), Decimal("27.4560"), "Boxing Day 2027 is a Sunday"),
        (datetime.date(2027, 12, 27), Decimal("37.44"), "Christmas Day's substitute Monday"),
        (datetime.date(2027, 12, 28), Decimal("37.44"), "Boxing Day's substitute Tuesday"),
        (datetime.date(2022, 12, 25), Decimal("27.4560"), "Christmas Day 2022 was a Sunday"),
        (datetime.date(2022, 12, 27), Decimal("37.44"), "its substitute Tuesday"),
        (datetime.date(2025, 3, 17), Decimal("24.96"), "St Patrick's Day is not England's"),
    ],
)
def test_weekend_and_bank_holiday_rates(day, rate, why):
    assert pay.hourly_rate_on(day, Decimal("24.96"), UPLIFTS) == rate, why


@pytest.mark.parametrize("year", range(2020, 2031))
def test_bank_holidays_fall_on_weekdays_only(year):
    """gov.uk lists the substitute weekday, never the weekend day it replaces."""
    days = [day for day in pay._bank_holidays(year)]
    assert len(days) >= 8
    assert all(day.weekday() < 5 for day in days)


def test_a_weekend_day_whose_holiday_moved_pays_the_weekend_uplift_only():
    terms = pay.PayTerms(
        weekend_uplift_percent=Decimal("30"),
        bank_holiday_uplift_percent=Decimal("25"),
    )
    assert pay.uplift_percent(datetime.date(2026, 12, 26), terms) == Decimal("30")
    assert pay.uplift_percent(datetime.date(2026, 12, 28), terms) == Decimal("25")


def test_amount_is_exact_pence_rounded_once():
    # 45 minutes at 24.96 is 18.72; 3 x 25 minutes at 27.456 is 34.32.
    assert pay.amount([(45, Decimal("24.96"))]) == Decimal("18.72")
    assert pay.amount([(25, Decimal("27.456"))] * 3) == Decimal("34.32")
    # 10 minutes at 24.96 is 4.16; one minute is 0.416 -> 0.42 (half up, once).
    assert pay.amount([(1, Decimal("24.96"))]) == Decimal("0.42")
    assert pay.amount([]) == Decimal("0.00")


def test_apply_cap_shares_the_allowance_in_order():
    assert pay.apply_cap([60, 60, 60], 150) == [60, 60, 30]
    assert pay.apply_cap([60, 60], 0) == [0, 0]
    assert pay.apply_cap([60, 60], -30) == [0, 0]


def test_plan_cycles_are_four_weeks_from_the_start():
    start = datetime.date(2025, 3, 1)
    assert pay.plan_cycle(start, start) == 0
    assert pay.plan_cycle(start, datetime.date(2025, 3, 28)) == 0
    assert pay.plan_cycle(start, datetime.date(2025, 3, 29)) == 1
    assert pay.cycle_dates(start, 1) == (datetime.date(2025, 3, 29), datetime.date(2025, 4, 25))
