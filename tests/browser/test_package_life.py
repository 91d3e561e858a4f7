"""A package's life in the browser: changed from a date, reviewed, handed back with notice."""

import datetime

from playwright.sync_api import expect

from core import clock
from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    BrokerFactory,
    PersonFactory,
    PlacedPackageFactory,
    ProviderFactory,
    ProviderUserFactory,
    ZoneFactory,
)


def next_monday():
    today = clock.today()
    return today + datetime.timedelta(days=7 - today.weekday())


def test_a_broker_changes_the_visits_from_next_monday_and_the_provider_sees_it(
    browser_page, chromium, live_server
):
    tab = browser_page
    provider = ProviderFactory(code="PROV-A", name="Alpha Home Care")
    package = PlacedPackageFactory(
        zone=ZoneFactory(code="EXE", name="Exeter", districts=["EX2"]),
        provider=provider,
        person=PersonFactory(given_name="Ada", family_name="Ashworth", postcode="EX2 4QD"),
        start_date=clock.today() - datetime.timedelta(days=14),
    )
    office = ProviderUserFactory(username="alpha.office", provider=provider)
    sign_in(tab, BrokerFactory(username="dana.broker"))
    tab.goto(f"/packages/{package.pk}/")
    tab.get_by_role("link", name="Change the visits from a date").click()
    expect(tab.get_by_role("heading", name="Change the visits from a date")).to_be_visible()

    monday = next_monday()
    starts = tab.get_by_role("group", name="Date the change starts")
    starts.get_by_label("Day").fill(str(monday.day))
    starts.get_by_label("Month").fill(str(monday.month))
    starts.get_by_label("Year").fill(str(monday.year))
    tab.get_by_label("Why the visits change").fill("Review: stronger in the mornings now")
    morning = tab.locator("[data-visit]").nth(0)
    expect(morning.get_by_label("Minutes")).to_have_value("45")
    morning.get_by_label("Minutes").fill("30")
    expect(tab.locator("[data-weekly-hours]")).to_have_text("3.5")
    screenshot(tab, "life_change_form")
    tab.get_by_role("button", name="Change the visits").click()
    expect(tab.locator(".govuk-notification-banner")).to_contain_text("its provider has been told")
    expect(tab.locator("#versions")).to_be_visible()
    screenshot(tab, "life_change_saved")

    # The provider is told, and sees from when the visits change and what they become.
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    provider_tab = context.new_page()
    sign_in(provider_tab, office)
    provider_tab.goto("/notifications/")
    expect(provider_tab.get_by_text(f"Package {package.pk} changes from")).to_be_visible()
    provider_tab.get_by_role("link", name=f"Package {package.pk} changes from").first.click()
    versions = provider_tab.locator("table", has_text="Coming")
    expect(versions).to_contain_text(f"{monday:%-d %b %Y}")
    expect(versions).to_contain_text("Every day at 08:00, 30 minutes, 1 carer: personal care")
    expect(versions).to_contain_text("Review: stronger in the mornings now")
    # Until then the week's visits are as they were.
    expect(provider_tab.locator("table.app-visit-grid")).to_contain_text("45 min")
    screenshot(provider_tab, "life_change_seen_by_provider")
    context.close()
