"""Plausible dates: born after 1900 and not in the future, care starting within a year of today.

The audit posted 0001-01-01 and 9999-12-31 as start dates and dates of birth and
got 201s; a year of 146 came back as "146-10-06", not ISO 8601.
"""

import datetime

import pytest
import time_machine

from packages.models import Package
from packages.validation import years_from
from tests.invoicing.factories import InvoiceFactory
from tests.packages.test_pages import referral_form

pytestmark = pytest.mark.django_db

URL = "/api/v1/packages/"
TODAY = datetime.date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.mark.parametrize(
    ("born", "accepted"),
    [
        ("0001-01-01", False),
        ("1899-12-31", False),
        ("1900-01-01", True),
        ("2026-11-25", True),
        ("2026-11-26", False),
        ("9999-12-31", False),
    ],
)
def test_a_date_of_birth_lies_between_1900_and_today(api, broker, referral, born, accepted):
    referral["person"]["date_of_birth"] = born
    response = api(broker).post(URL, referral, format="json")
    assert response.status_code == (201 if accepted else 400), response.json()
    if not accepted:
        assert set(response.json()) == {"person"}
        assert set(response.json()["person"]) == {"date_of_birth"}


@pytest.mark.parametrize(
    ("start", "accepted"),
    [
        ("0001-01-01", False),
        ("2025-11-24", False),
        ("2025-11-25", True),
        ("2027-11-25", True),
        ("2027-11-26", False),
        ("9999-12-31", False),
    ],
)
def test_a_start_date_lies_within_a_year_of_today(api, broker, referral, start, accepted):
    referral["start_date"] = start
    response = api(broker).post(URL, referral, format="json")
    assert response.status_code == (201 if accepted else 400), response.json()
    if not accepted:
        assert "within a year of today" in response.json()["start_date"][0]


def test_a_hospital_ready_date_far_off_is_refused(api, broker, referral):
    referral["hospital_ready_on"] = "9999-12-31"
    response = api(broker).post(URL, referral, format="json")
    assert response.status_code == 400
    assert "hospital_ready_on" in response.json()


def test_the_page_refuses_an_implausible_start_date(page, broker, zone):
    response = page(broker).post(
        "/packages/new/", referral_form(action="check", start_date_2="9999", date_of_birth_2="1066")
    )
    html = response.content.decode()
    assert "The start date must be within a year of today" in html
    assert "Date of birth must be on or after 1 Jan 1900" in html
    assert not Package.objects.exists()


def test_years_from_keeps_the_day_or_takes_the_28th_in_february():
    assert years_from(datetime.date(2026, 3, 1), -1) == datetime.date(2025, 3, 1)
    assert years_from(datetime.date(2028, 2, 29), 1) == datetime.date(2029, 2, 28)


def test_dates_are_answered_in_iso_8601_with_a_four_digit_year(api, finance):
    """A year below 1000 saved before these checks still comes back as ISO 8601."""
    invoice = InvoiceFactory(received_on=datetime.date(146, 10, 6))
    body = api(finance).get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert body["received_on"] == "0146-10-06"
    assert body["period_end"] == "0146-10-05"
