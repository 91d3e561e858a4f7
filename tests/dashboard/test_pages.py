"""The dashboard pages: who may see them, what they show, their CSV, and their query counts."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

UK = ZoneInfo("Europe/London")
PAGES = ["/dashboard/", "/dashboard/time-to-fill/", "/dashboard/providers/", "/dashboard/spend/"]


def _csv(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("url", PAGES)
def test_role_matrix(page, users, market, url):
    anonymous = page().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert page(users["provider"]).get(url).status_code == 403
    for role in ("admin", "commissioner", "broker", "finance"):
        assert page(users[role]).get(url).status_code == 200, role


def test_unfilled_page_shows_totals_chart_and_map(page, commissioner, market):
    response = page(commissioner).get("/dashboard/")
    content = response.content.decode()
    assert '<p class="govuk-heading-xl" id="total-packages">6</p>' in content
    assert '<p class="govuk-heading-xl" id="total-people">4</p>' in content
    assert 'id="unfilled-chart-data"' in content
    assert 'id="unfilled-map-data"' in content
    assert response.context["map"]["zones"][0]["zone"] == "ZA"  # the most unfilled hours first
    assert reverse("packages:list") + "?status=open&amp;zone=ZA" in content


def test_unfilled_csv_holds_the_table(page, commissioner, market):
    rows = _csv(page(commissioner).get("/dashboard/", {"format": "csv", "table": "unfilled"}))
    assert rows[0][:5] == ["Zone", "Name", "Open packages", "Weekly hours", "People"]
    by_zone = {row[0]: row for row in rows[1:]}
    assert by_zone["ZA"][1:5] == ["Alpha", "3", "17.25", "2"]
    assert by_zone["ZB"][1:5] == ["Bravo", "3", "11.5", "3"]
    assert by_zone["ZA"][6:8] == ["2", "4"]
    assert by_zone["ZC"][2] == "0"


def test_unknown_csv_table_is_404(page, commissioner, market):
    assert page(commissioner).get("/dashboard/", {"format": "csv", "table": "x"}).status_code == 404


def test_time_to_fill_page_and_csv(page, commissioner, market):
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = page(commissioner).get("/dashboard/time-to-fill/", {"since": yesterday})
    assert response.context["summary"]["median_minutes"] == 75.0
    assert "Within 1.5 hours (target 70%)" in response.content.decode()
    rows = _csv(
        page(commissioner).get(
            "/dashboard/time-to-fill/", {"since": yesterday, "format": "csv", "table": "priorities"}
        )
    )
    assert rows[1:] == [
        ["Urgent", "1", "45.0", "45.0", "100%", "100%"],
        ["Standard", "5", "90.0", "228.0", "60%", "80%"],
    ]


def test_bad_filter_shows_the_error_at_the_field(page, commissioner, market):
    response = page(commissioner).get("/dashboard/time-to-fill/", {"since": "31/02/2025"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert 'href="#id_since_0"' in content  # the first of its three boxes
    assert "summary" not in response.context


def test_zone_limited_broker_sees_only_their_zones(page, zone_broker, market):
    response = page(zone_broker).get("/dashboard/")
    assert [row[0].text for row in response.context["tables"][0].rows] == ["ZA"]
    assert page(zone_broker).get("/dashboard/", {"zone": "ZB"}).context["form"].errors


@pytest.mark.parametrize("url", PAGES)
def test_query_counts_do_not_grow_with_the_data(page, commissioner, market, grow, url):
    client = page(commissioner)
    grow(2)  # at least one of everything, so no query is skipped as empty
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    grow(12)
    assert count() == before
    assert before <= 20


def test_unfilled_chart_counts_people_on_a_scale_of_their_own(page, commissioner, market):
    hours, people = page(commissioner).get("/dashboard/").context["chart"]["datasets"]
    assert "axis" not in hours
    assert people["axis"] == "right"


@time_machine.travel(datetime.datetime(2027, 2, 3, 12, tzinfo=UK), tick=False)
def test_spend_periods_are_named_by_their_days_and_a_cut_one_says_so(page, commissioner):
    # Periods run every 28 days from 1 January 2024: 28 Dec 2026, 25 Jan 2027, ...
    rows = _csv(
        page(commissioner).get(
            "/dashboard/spend/",
            {"since": "2027-01-01", "until": "2027-02-03", "format": "csv", "table": "periods"},
        )
    )
    assert [row[0] for row in rows[1:]] == [
        "28 Dec 2026 to 24 Jan 2027",
        "25 Jan 2027 to 2 Feb 2027 (part)",  # today's visits are still being recorded
    ]


@time_machine.travel(datetime.datetime(2026, 12, 9, 12, tzinfo=UK), tick=False)
def test_time_to_fill_trend_marks_the_week_still_running(page, commissioner):
    chart = page(commissioner).get("/dashboard/time-to-fill/").context["chart"]
    assert len(chart["labels"]) == 12
    assert chart["labels"][0] == "21 Sep 2026"
    assert chart["labels"][-1] == "7 Dec 2026 (part)"


def test_unfilled_page_ignores_dates_it_does_not_show(page, commissioner, market):
    # The section links carry the other pages' dates along: no error for a hidden field.
    response = page(commissioner).get("/dashboard/", {"since": "2019-01-01"})
    assert not response.context["form"].errors
    assert response.context["total"]["packages"] == 6
