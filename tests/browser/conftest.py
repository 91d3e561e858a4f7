"""End-to-end tests in the system Chromium, driven by Playwright against the live server.

`playwright install` cannot download browsers here, so the Debian package's
/usr/bin/chromium (or $CHROMIUM) is used; a missing browser fails the run.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; the test's own ORM
# calls are still synchronous, so Django's async guard must stand aside.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
# Two suites' workers share two cores in CI: an answer htmx fetches can take longer than
# Playwright's default five seconds to arrive without anything being wrong.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, live_server, transactional_db):
    """A fresh browser tab whose relative URLs go to the live server."""
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(20_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(tab, user, password=PASSWORD):
    tab.goto("/accounts/login/")
    tab.get_by_label("Username").fill(user.username)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_load_state()


def screenshot(tab, name, full_page=True):
    """Save a screenshot under screenshots/ (not committed) to look at.

    `full_page=False` keeps to the window, for pages many screens long whose
    full capture can take longer than the timeout on a busy machine.
    """
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=full_page)
    return path


def fill_date(tab, label, day):
    """Type `day` into GOV.UK's date input named `label` (its three boxes)."""
    group = tab.get_by_role("group", name=label)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))
