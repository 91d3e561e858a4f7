"""A commissioner in Chromium changes a provider's rate from next month (for one zone) and a
contract's share; the API shows both; the page refuses a rate from the past."""

import datetime
import shutil
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from providers.models import Contract, Rate
from tests.browser.conftest import fill_date, screenshot, sign_in
from tests.factories import CommissionerFactory, ContractFactory, ProviderFactory, ZoneFactory

SHOTS = Path("/work/coord/shots/14")


def keep(path, name):
    """Keep a screenshot beside the issue's other evidence when that folder is there."""
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / f"rates-{name}.png")


def choose(tab, selector, code):
    """A code field: a select while the choices are few, a text box otherwise."""
    field = tab.locator(selector)
    if field.evaluate("element => element.tagName") == "SELECT":
        field.select_option(code)
    else:
        field.fill(code)


def first_of_next_month():
    today = timezone.localdate()
    return (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def test_commissioner_changes_a_rate_from_next_month_and_a_contracts_share(browser_page):
    tab = browser_page
    rural = ZoneFactory(
        code="TORRIDGE", name="Torridge", allocation_mode="rota", districts=["EX39"]
    )
    exe = ProviderFactory(code="EXE-VALLEY", name="Exe Valley Home Care")
    dart = ProviderFactory(code="DART", name="Dart Care")
    ContractFactory(zone=rural, provider=exe, role="primary", share_percent=80)
    ContractFactory(zone=rural, provider=dart, role="secondary", share_percent=20)
    sign_in(tab, CommissionerFactory(username="cara.commissioner"))
    next_month = first_of_next_month()

    tab.goto("/providers/rates/")
    choose(tab, "#rate_provider", "EXE-VALLEY")
    choose(tab, "#rate_zone", "TORRIDGE")
    tab.fill("#rate_hourly_rate", "27.68")
    fill_date(tab, "Date it starts", timezone.localdate() - datetime.timedelta(days=1))
    tab.get_by_role("button", name="Add rate").click()
    expect(tab.get_by_text("There is a problem")).to_be_visible()
    # The summary names the field and leads to its first box.
    summary = tab.locator(".govuk-error-summary a", has_text="The date the rate starts")
    expect(summary).to_have_attribute("href", "#rate_effective_from_0")
    keep(screenshot(tab, "rates_past_date_refused"), "past-date-refused")
    fill_date(tab, "Date it starts", next_month)
    tab.get_by_role("button", name="Add rate").click()
    expect(tab.get_by_text("£27.68 an hour in Torridge")).to_be_visible()
    expect(tab.get_by_text("From a later date")).to_be_visible()
    keep(screenshot(tab, "rates_from_next_month"), "page-from-next-month")
    rate = Rate.objects.get(provider=exe, zone=rural)
    assert (rate.hourly_rate, rate.effective_from) == (Decimal("27.68"), next_month)

    tab.goto("/zones/TORRIDGE/")
    tab.get_by_role("link", name="Change Exe Valley Home Care's contract").click()
    tab.fill("#id_share_percent", "70")
    tab.get_by_role("button", name="Save contract").click()
    expect(tab.get_by_text("The primary's and secondary's shares add up to 90%")).to_be_visible()
    keep(screenshot(tab, "rates_contract_share_changed"), "zone-share-changed")
    assert Contract.objects.get(provider=exe).share_percent == 70

    tab.goto(f"/providers/contracts/{Contract.objects.get(provider=exe).pk}/edit/")
    expect(tab.get_by_text("80 → 70")).to_be_visible()
    keep(screenshot(tab, "rates_contract_history"), "contract-history")
