"""The service on a phone (375 px): the navigation folds under a menu button, and the
payment board keeps each invoice's deadline and total on the screen."""

from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.factories import BrokerFactory, FinanceFactory
from tests.invoicing.factories import InvoiceFactory

PHONE = {"width": 375, "height": 812}


def test_on_a_phone_the_navigation_opens_from_its_menu_button(browser_page):
    tab = browser_page
    tab.set_viewport_size(PHONE)
    sign_in(tab, BrokerFactory(username="dana.broker"))
    menu = tab.get_by_role("button", name="Menu")
    zones = tab.get_by_role("link", name="Zones", exact=True)
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(zones).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(zones).to_be_visible()
    screenshot(tab, "phone_navigation_open", full_page=False)


def test_on_a_phone_the_payment_board_shows_each_invoices_deadline_and_total(browser_page):
    tab = browser_page
    tab.set_viewport_size(PHONE)
    InvoiceFactory(reference="EXE-2026-11", total=Decimal("8388.45"))
    sign_in(tab, FinanceFactory(username="fran.finance"))
    tab.goto("/invoices/board/")
    card = tab.get_by_role("row").filter(has_text="EXE-2026-11")
    for column, text in (("Deadline", "due "), ("Total", "£8,388.45")):
        cell = card.locator(f'td[data-label="{column}"]')
        expect(cell).to_contain_text(text)
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], column
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(tab, "phone_payment_board", full_page=False)
