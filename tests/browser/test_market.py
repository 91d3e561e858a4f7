"""A commissioner shapes the market in Chromium: a new rota zone with two providers."""

from playwright.sync_api import expect

from providers.models import Capacity, Contract
from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    CommissionerFactory,
    ContractFactory,
    ProviderFactory,
    ProviderUserFactory,
    ZoneFactory,
)
from zones.models import Zone


def add_provider(tab, code, role, share):
    details = tab.locator("details.govuk-details")
    if details.get_attribute("open") is None:  # open already while the zone has no providers
        tab.get_by_text("Add a provider to this zone").click()
    tab.select_option("#id_provider", code)
    tab.check(f'input[name="role"][value="{role}"]')
    tab.fill("#id_share_percent", str(share))
    tab.get_by_role("button", name="Add provider").click()
    tab.wait_for_load_state()


def test_commissioner_creates_a_rota_zone_with_two_providers(browser_page):
    tab = browser_page
    ProviderFactory(code="EXE-VALLEY", name="Exe Valley Home Care", cqc_rating="outstanding")
    ProviderFactory(code="CATHEDRAL", name="Cathedral City Carers")
    ProviderFactory(code="TOPSHAM", name="Topsham Care", lot=2, weekly_hours_cap=600)
    ZoneFactory(code="EAST-DEVON", name="East Devon", districts=["EX8", "EX10"])
    sign_in(tab, CommissionerFactory(username="cara.commissioner"))

    tab.goto("/zones/")
    screenshot(tab, "market_zone_list")
    tab.get_by_role("button", name="Add a zone").click()
    tab.fill("#id_code", "EXETER")
    tab.fill("#id_name", "Exeter")
    tab.fill("#id_postcode_districts", "ex1, EX2, EX10")
    tab.check('input[name="allocation_mode"][value="rota"]')
    tab.fill("#id_offer_window_minutes", "120")
    tab.get_by_role("button", name="Add zone").click()
    # EX10 is East Devon's: the error is in the summary and at the field.
    expect(tab.get_by_text("There is a problem")).to_be_visible()
    expect(tab.locator("#id_postcode_districts-error")).to_be_visible()
    screenshot(tab, "market_zone_create_errors")
    tab.fill("#id_postcode_districts", "ex1, EX2, EX4")
    tab.get_by_role("button", name="Add zone").click()
    tab.wait_for_url("**/zones/EXETER/")
    expect(tab.get_by_text("Zone Exeter created.")).to_be_visible()

    add_provider(tab, "EXE-VALLEY", "primary", 80)
    add_provider(tab, "CATHEDRAL", "secondary", 20)
    expect(tab.get_by_text("is acting primary and gets 80% of first offers")).to_be_visible()
    screenshot(tab, "market_zone_detail")
    contracts = Contract.objects.filter(zone__code="EXETER")
    assert sorted(contracts.values_list("provider__code", "role", "share_percent")) == [
        ("CATHEDRAL", "secondary", 20),
        ("EXE-VALLEY", "primary", 80),
    ]
    assert Zone.objects.get(code="EXETER").postcode_districts == ["EX1", "EX2", "EX4"]

    # A third provider may not take the secondary's place.
    add_provider(tab, "TOPSHAM", "secondary", 10)
    expect(tab.get_by_text("already has a secondary provider").first).to_be_visible()
    screenshot(tab, "market_contract_form_errors")

    tab.goto("/zones/EXETER/edit/")
    screenshot(tab, "market_zone_edit")
    tab.goto("/zones/lookup/?postcode=ex4+1aa")
    expect(tab.get_by_text("EX4 1AA is in zone EXETER")).to_be_visible()
    screenshot(tab, "market_postcode_lookup")

    tab.goto("/providers/")
    screenshot(tab, "market_provider_list")
    tab.get_by_role("link", name="Exe Valley Home Care").click()
    expect(tab.get_by_text("Primary").first).to_be_visible()
    screenshot(tab, "market_provider_detail")
    tab.goto("/providers/new/")
    tab.get_by_role("button", name="Add provider").click()
    screenshot(tab, "market_provider_create_errors")
    contract = contracts.get(provider__code="CATHEDRAL")
    tab.goto(f"/providers/contracts/{contract.pk}/remove/")
    screenshot(tab, "market_contract_remove")


def test_a_provider_declares_capacity_in_its_portal(browser_page):
    tab = browser_page
    user = ProviderUserFactory(
        username="pip.provider", provider=ProviderFactory(code="EXE-VALLEY", name="Exe Valley")
    )
    ContractFactory(provider=user.provider, zone=ZoneFactory(code="EXETER", name="Exeter"))
    sign_in(tab, user)
    tab.get_by_role("link", name="Capacity").click()
    tab.select_option("#id_zone", "EXETER")
    tab.fill("#id_hours", "25")
    tab.get_by_role("button", name="Declare hours").click()
    expect(tab.get_by_text("Exe Valley: 25 spare hours in Exeter")).to_be_visible()
    screenshot(tab, "market_capacity")
    assert Capacity.objects.get().hours == 25
