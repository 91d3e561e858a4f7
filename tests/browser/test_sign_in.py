from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.factories import BrokerFactory


def test_sign_in_shows_the_service_navigation(browser_page):
    broker = BrokerFactory(username="dana.broker")
    sign_in(browser_page, broker)
    expect(browser_page.get_by_role("button", name="Sign out dana.broker")).to_be_visible()
    screenshot(browser_page, "sign_in_landing")
