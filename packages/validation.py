"""The rules a referral must meet, defined once.

The page's forms and the API's serializers call these to report each problem
at its field; `services.create_package` calls them again so that no caller
can save a package that breaks them.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError

from core import clock
from core.formats import date_text

from .models import (
    DAYS,
    MAX_VISIT_MINUTES,
    MIN_MEDICATION_VISIT_MINUTES,
    MIN_VISIT_MINUTES,
    Purpose,
)

PLAN_WEEKS = 4
# Far beyond any real care plan; keeps a package's weekly hours within what is stored.
MAX_VISITS = 50


def clean_days(days) -> list[str]:
    """Days of the week in calendar order, each once: ["wed", "mon"] -> ["mon", "wed"]."""
    chosen = {str(day).lower() for day in days or ()}
    unknown = chosen - set(DAYS)
    if unknown:
        raise ValidationError(
            f"Days must be from {', '.join(DAYS)}; not {', '.join(sorted(unknown))}.",
            code="invalid_day",
        )
    if not chosen:
        raise ValidationError("Choose at least one day for the visit.", code="no_days")
    return [day for day in DAYS if day in chosen]


def minimum_minutes(purpose: str) -> int:
    return MIN_MEDICATION_VISIT_MINUTES if purpose == Purpose.MEDICATION else MIN_VISIT_MINUTES


def check_duration(minutes: int, purpose: str) -> None:
    """At least 30 minutes (15 to check medication), at most a day."""
    if minutes < minimum_minutes(purpose):
        raise ValidationError(
            f"A medication visit lasts at least {MIN_MEDICATION_VISIT_MINUTES} minutes."
            if purpose == Purpose.MEDICATION
            else f"A visit lasts at least {MIN_VISIT_MINUTES} minutes "
            f"({MIN_MEDICATION_VISIT_MINUTES} only for a medication visit).",
            code="too_short",
        )
    if minutes > MAX_VISIT_MINUTES:
        raise ValidationError(
            f"A visit lasts at most {MAX_VISIT_MINUTES} minutes (a day).", code="too_long"
        )


def check_carers(carers: int) -> None:
    if carers not in (1, 2):
        raise ValidationError(
            "A visit needs one carer, or two for a double-handed call.", code="invalid_carers"
        )


# Nobody receiving care was born before this; earlier dates are typing mistakes (0001-01-01).
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
# Care starts at most a year before it is recorded (an emergency recorded late) or after.
START_WINDOW_YEARS = 1


def check_date_of_birth(born) -> None:
    if born > clock.today():
        raise ValidationError("Date of birth must be in the past.", code="future_birth")
    if born < EARLIEST_BIRTH:
        raise ValidationError(
            f"Date of birth must be on or after {date_text(EARLIEST_BIRTH)}.", code="early_birth"
        )


def check_near_today(day, *, what: str) -> None:
    """`day` lies within a year either side of today: a start date, a hospital-ready date."""
    today = clock.today()
    earliest, latest = years_from(today, -START_WINDOW_YEARS), years_from(today, START_WINDOW_YEARS)
    if not earliest <= day <= latest:
        raise ValidationError(
            f"The {what} must be within a year of today: "
            f"between {date_text(earliest)} and {date_text(latest)}.",
            code="implausible_date",
        )


def years_from(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later (or earlier); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def check_week_hours(week_hours) -> list[Decimal]:
    """A flexible plan has exactly four weeks of hours, none negative."""
    if len(week_hours) != PLAN_WEEKS:
        raise ValidationError(
            f"A flexible plan has exactly {PLAN_WEEKS} weeks of hours.", code="plan_weeks"
        )
    hours = [Decimal(str(week)) for week in week_hours]
    if any(week < 0 for week in hours):
        raise ValidationError("Weekly hours cannot be negative.", code="negative_hours")
    return hours


def check_contingency(hours) -> None:
    if hours < 0:
        raise ValidationError("Contingency hours cannot be negative.", code="negative_hours")


def check_visit_count(visits) -> None:
    if not visits:
        raise ValidationError("Add at least one visit.", code="no_visits")
    if len(visits) > MAX_VISITS:
        raise ValidationError(f"A package has at most {MAX_VISITS} visits.", code="too_many")


def visit_errors(visit: dict) -> dict[str, list[str]]:
    """Every rule one visit breaks, by field ({} when it is fine)."""
    errors = {}
    for field, check in (
        ("days", lambda: clean_days(visit.get("days"))),
        ("duration_minutes", lambda: check_duration(visit["duration_minutes"], visit["purpose"])),
        ("carers", lambda: check_carers(visit.get("carers", 1))),
    ):
        try:
            check()
        except ValidationError as error:
            errors[field] = error.messages
    return errors


def weekly_carer_hours(visits) -> Decimal:
    """Carer hours a week: duration x carers x days, summed, in hours (2 places)."""
    minutes = sum(
        v["duration_minutes"] * v.get("carers", 1) * len(clean_days(v["days"])) for v in visits
    )
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


PHONE_CHARACTERS = set("0123456789 +()-")


def clean_phone(phone: str) -> str:
    """A telephone number as written ("01392 123456", "+44 7700 900123"), trimmed; empty
    when not given. A UK number has 10 or 11 digits, an international one up to 15."""
    phone = " ".join((phone or "").split())
    if not phone:
        return ""
    digits = sum(ch.isdigit() for ch in phone)
    if set(phone) - PHONE_CHARACTERS or not 10 <= digits <= 15:
        raise ValidationError(
            "Enter a telephone number, like 01392 123456 or +44 7700 900123.", code="phone"
        )
    return phone


MAX_NEXT_OF_KIN = 500


def check_next_of_kin_text(text: str) -> str:
    if len(text) > MAX_NEXT_OF_KIN:
        raise ValidationError(
            f"Next of kin is at most {MAX_NEXT_OF_KIN} characters.", code="too_long"
        )
    return text
