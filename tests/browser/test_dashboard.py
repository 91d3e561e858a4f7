"""A commissioner opens the dashboard, sees the chart and the map, and downloads a CSV."""

import datetime
from decimal import Decimal
from pathlib import Path

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from packages.models import Source
from tests import factories
from tests.browser.conftest import screenshot, sign_in


def _market():
    now = timezone.now()
    zones = [
        factories.ZoneFactory(code="EXETER", name="Exeter", districts=["EX1", "EX2"]),
        factories.ZoneFactory(code="TORRIDGE", name="Torridge", districts=["EX39", "EX38"]),
        factories.ZoneFactory(code="DARTMOOR", name="Dartmoor", districts=["EX20"]),
    ]
    for index, (zone, waiting) in enumerate(zip(zones, (1, 4, 6), strict=True)):
        for n in range(waiting):
            factories.OpenPackageFactory(
                zone=zone,
                weekly_hours=Decimal("7.5") + n,
                source=Source.HOSPITAL_DISCHARGE if n % 2 else Source.COMMUNITY,
                submitted_at=now - datetime.timedelta(hours=5 * (n + index)),
            )
        for n in range(6):
            placed_at = now - datetime.timedelta(days=7 * n + 1)
            factories.PlacedPackageFactory(
                zone=zone,
                submitted_at=placed_at - datetime.timedelta(minutes=30 + 40 * n * (index + 1)),
                placed_at=placed_at,
            )


def test_commissioner_sees_chart_and_map_and_downloads_csv(browser_page):
    tab = browser_page
    _market()
    commissioner = factories.CommissionerFactory(username="casey.commissioner")
    sign_in(tab, commissioner)
    tab.goto("/dashboard/")
    tab.wait_for_selector("#unfilled-chart")
    # A function, not a string: polling a string needs eval, which the page's CSP refuses.
    tab.wait_for_function("() => document.getElementById('unfilled-chart').chart !== undefined")
    tab.wait_for_selector("#unfilled-map .leaflet-interactive")
    assert tab.locator("#total-packages").inner_text() == "11"
    assert tab.locator("#unfilled-map .leaflet-interactive").count() == 3
    # People waiting are counted on a scale of their own, beside the hours.
    assert tab.evaluate("document.getElementById('unfilled-chart').chart.scales.right.max") >= 1
    assert tab.get_by_role("link", name="DARTMOOR").first.get_attribute("href") == (
        reverse("packages:list") + "?status=open&zone=DARTMOOR"
    )
    # The map is one tab stop (its keys move and zoom it), and the next one is the link to
    # the table with its numbers.
    tab.get_by_role("region", name="Map of unfilled hours").focus()
    tab.keyboard.press("Tab")
    expect(tab.locator(":focus")).to_have_text("The same numbers as a table")
    screenshot(tab, "dashboard_unfilled")

    with tab.expect_download() as download_info:
        tab.get_by_role("link", name="Download “Unfilled packages by zone” as CSV").click()
    download = download_info.value
    assert download.suggested_filename == "dashboard-unfilled.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Zone,Name,Open packages,Weekly hours,People")
    assert lines[1].startswith("DARTMOOR,Dartmoor,6,")

    sections = tab.get_by_role("navigation", name="Dashboard sections")
    sections.get_by_role("link", name="Time to fill").click()
    tab.wait_for_function("() => document.getElementById('fill-chart').chart !== undefined")
    assert "Within 1.5 hours (target 70%)" in tab.content()
    screenshot(tab, "dashboard_time_to_fill")

    sections.get_by_role("link", name="Providers").click()
    tab.wait_for_selector("#table-providers")
    screenshot(tab, "dashboard_providers")
    sections.get_by_role("link", name="Spend").click()
    tab.wait_for_selector("#table-periods")
    screenshot(tab, "dashboard_spend")
