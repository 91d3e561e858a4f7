"""Invoices on the UK's calendar, to the penny: real elapsed time across the clock changes
(Europe/London) and England's bank holidays as gov.uk lists them."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import PlacedPackageFactory
from tests.invoicing.factories import record

INVOICES = "/api/v1/invoices/"
VISITS = "/api/v1/visits/"
pytestmark = pytest.mark.django_db


def at(time_machine, day):
    """Ten in the morning, UK time, on `day`."""
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(10, 0)), tick=False)


def night_sitter(provider, start_date, carers=1):
    """A night sit every Saturday, planned 22:00 to 06:00 by the clock (480 minutes)."""
    visit = {
        "days": ["sat"],
        "time": datetime.time(22, 0),
        "duration_minutes": 480,
        "carers": carers,
        "purpose": "sitting",
    }
    return PlacedPackageFactory(provider=provider, start_date=start_date, visits=[visit])


def invoice(api, user, day, reference):
    body = {"period_start": day.isoformat(), "period_end": day.isoformat(), "reference": reference}
    response = api(user).post(INVOICES, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_night_sit_as_the_clocks_go_forward_is_paid_its_seven_real_hours(
    time_machine, api, provider_user
):
    """Sat 28 Mar 2026, 22:00-06:00, double-handed: the clocks jump from 01:00 to 02:00, so
    each carer sits 420 minutes, not 480 (paying 480 would be £60.90 too much)."""
    provider = provider_user.provider
    provider.rates.update(hourly_rate=Decimal("30.45"))
    saturday = datetime.date(2026, 3, 28)
    package = night_sitter(provider, saturday, carers=2)
    at(time_machine, saturday + datetime.timedelta(days=2))
    visit = record(provider_user, package, saturday, "22:00", "06:00", carers=2)
    assert (visit.actual_minutes, visit.planned_minutes, visit.payable_minutes) == (420, 420, 840)
    assert not visit.short

    bill = invoice(api, provider_user, saturday, "NIGHT-MAR")
    # 2 carers x 7 hours x 30.45 = 426.30 (8 hours would be 487.20).
    assert bill["total"] == "426.30"
    assert bill["lines"][0]["payable_hours"] == "14.00"


def test_a_night_sit_as_the_clocks_go_back_is_paid_its_nine_real_hours(
    time_machine, api, provider_user
):
    """Sat 24 Oct 2026, 22:00-06:00: 01:00-02:00 happens twice on Sunday 25 October, so the
    sit lasts 540 real minutes (paying 480 would be £15.22 too little)."""
    provider = provider_user.provider
    provider.rates.update(hourly_rate=Decimal("15.22"))
    saturday = datetime.date(2026, 10, 24)
    package = night_sitter(provider, saturday)
    at(time_machine, saturday + datetime.timedelta(days=2))
    visit = record(provider_user, package, saturday, "22:00", "06:00")
    assert (visit.actual_minutes, visit.planned_minutes, visit.payable_minutes) == (540, 540, 540)

    bill = invoice(api, provider_user, saturday, "NIGHT-OCT")
    # 9 hours x 15.22 = 136.98 (8 hours would be 121.76).
    assert bill["total"] == "136.98"


def test_a_time_in_the_repeated_hour_is_its_first_occurrence(time_machine, api, provider_user):
    sunday = datetime.date(2026, 10, 25)
    package = PlacedPackageFactory(provider=provider_user.provider, start_date=sunday)
    at(time_machine, sunday + datetime.timedelta(days=1))
    # 00:30 summer time to the first 01:30: an hour, not two.
    visit = record(provider_user, package, sunday, "00:30", "01:30")
    assert visit.actual_minutes == 60


@pytest.mark.parametrize(
    ("day", "start", "end", "field"),
    [
        ("2027-03-28", "01:15", "02:15", "actual_start"),
        ("2027-03-27", "22:00", "01:15", "actual_end"),  # ends on the Sunday morning
        ("2027-03-28", "00:30", "01:30", "actual_end"),
    ],
)
def test_a_time_the_clocks_skip_is_refused_naming_it(
    time_machine, api, provider_user, day, start, end, field
):
    """01:15 on Sunday 28 Mar 2027 never happens: the clocks go from 01:00 to 02:00."""
    day = datetime.date.fromisoformat(day)
    package = PlacedPackageFactory(provider=provider_user.provider, start_date=day)
    at(time_machine, datetime.date(2027, 3, 29))
    body = {
        "package": package.pk,
        "date": day.isoformat(),
        "actual_start": start,
        "actual_end": end,
        "carers": 1,
    }
    response = api(provider_user).post(VISITS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert "does not exist on 28 Mar 2027" in response.json()[field][0]
    assert package.delivered_visits.count() == 0


def test_a_file_with_a_skipped_time_names_its_row(time_machine, api, provider_user):
    day = datetime.date(2027, 3, 28)
    package = PlacedPackageFactory(provider=provider_user.provider, start_date=day)
    at(time_machine, datetime.date(2027, 3, 29))
    content = (
        "package,date,actual_start,actual_end,carers\n"
        f"{package.pk},2027-03-28,08:00,08:45,1\n"
        f"{package.pk},2027-03-28,01:15,01:45,1\n"
    ).encode()
    upload = SimpleUploadedFile("visits.csv", content, content_type="text/csv")
    response = api(provider_user).post(f"{VISITS}import/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert [row["row"] for row in response.json()["rows"]] == [3]
    assert "actual_start" in response.json()["rows"][0]["errors"]
    assert package.delivered_visits.count() == 0


def _daily_visits(time_machine, api, provider_user, first, last, reference):
    """A 45-minute call every day from `first` to `last`, invoiced once the period is over,
    by a provider paid 24.96 an hour, 10% more at weekends and 50% more on bank holidays."""
    provider = provider_user.provider
    provider.weekend_uplift_percent = Decimal("10")
    provider.bank_holiday_uplift_percent = Decimal("50")
    provider.save()
    package = PlacedPackageFactory(provider=provider, start_date=first)
    at(time_machine, last + datetime.timedelta(days=2))
    day = first
    while day <= last:
        record(provider_user, package, day, "08:00", "08:45")
        day += datetime.timedelta(days=1)
    body = {"period_start": first.isoformat(), "period_end": last.isoformat()}
    response = api(provider_user).post(INVOICES, {**body, "reference": reference}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


# 45 minutes: 18.72 on a weekday, 20.592 at a weekend, 28.08 on a bank holiday.


def test_christmas_2026_pays_the_bank_holiday_rate_on_the_substitute_monday_only(
    time_machine, api, provider_user
):
    """Christmas Day is Friday 25 Dec 2026; Boxing Day is Saturday 26, so its bank holiday
    is Monday 28 December: the Saturday pays the weekend rate."""
    bill = _daily_visits(
        time_machine,
        api,
        provider_user,
        datetime.date(2026, 12, 21),
        datetime.date(2026, 12, 31),
        "XMAS-26",
    )
    # 7 weekdays x 18.72 + Sat and Sun x 20.592 + Fri 25 and Mon 28 x 28.08 = 228.384
    assert bill["total"] == "228.38"


def test_christmas_2027_pays_the_bank_holiday_rate_on_monday_and_tuesday_only(
    time_machine, api, provider_user
):
    """Christmas Day and Boxing Day 2027 are a Saturday and a Sunday: the bank holidays are
    Monday 27 and Tuesday 28 December; the weekend pays the weekend rate."""
    bill = _daily_visits(
        time_machine,
        api,
        provider_user,
        datetime.date(2027, 12, 20),
        datetime.date(2027, 12, 31),
        "XMAS-27",
    )
    # 8 weekdays x 18.72 + Sat 25 and Sun 26 x 20.592 + Mon 27 and Tue 28 x 28.08 = 247.104
    assert bill["total"] == "247.10"
