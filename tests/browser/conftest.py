"""End-to-end tests in the system Chromium, driven by Playwright against the live server.

`playwright install` cannot download browsers here, so the Debian package's
/usr/bin/chromium (or $CHROMIUM) is used; a missing browser fails the run.

Every page a test opens is checked by axe-core (tests/browser/vendor/axe.min.js, from
npm by `make assets`): a serious or critical violation fails the test.
"""

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import Error, expect, sync_playwright

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


HERE = Path(__file__).resolve().parent
AXE_SCRIPT = (HERE / "vendor" / "axe.min.js").read_text() + (HERE / "axe_runner.js").read_text()
FAILING_IMPACTS = {"serious", "critical"}
DESKTOP = {"width": 1280, "height": 900}


class AxeAudit:
    """The browser contexts of one test, each document they open checked by axe.

    axe runs in the page on load and after htmx swaps (axe_runner.js) and reports here.
    A document left before its check had finished is opened again at the end, and each
    tab still open is checked as the test left it.
    """

    def __init__(self, chromium, base_url):
        self.chromium = chromium
        self.base_url = base_url
        self.contexts = []
        self.visited = {}  # address -> the context that opened it
        self.checked = set()
        self.violations = {}  # (address, rule id) -> the rule's finding

    def new_context(self, viewport=DESKTOP):
        context = self.chromium.new_context(base_url=self.base_url, viewport=viewport)
        context.set_default_timeout(20_000)
        context.add_init_script(script=AXE_SCRIPT)
        context.expose_binding("__axeReport", self._report)
        context.on("page", self._watch)
        self.contexts.append(context)
        return context

    def _watch(self, tab):
        def navigated(frame):
            if frame == tab.main_frame and frame.url.startswith(self.base_url):
                self.visited.setdefault(address(frame.url), tab.context)

        tab.on("framenavigated", navigated)

    def _report(self, source, url, report):
        if "error" in report:
            return  # not checked: opened again at the end
        self.checked.add(address(url))
        for rule in report["violations"]:
            found = self.violations.setdefault((address(url), rule["id"]), rule)
            found["targets"] = sorted(set(found["targets"]) | set(rule["targets"]))

    def finish(self):
        """Check what is left unchecked, close the contexts and answer the findings."""
        for context in self.contexts:
            for tab in context.pages:
                self._check(tab)
        for url, context in list(self.visited.items()):
            if url not in self.checked:
                tab = context.new_page()
                tab.goto(url)
                self._check(tab)
        for context in self.contexts:
            context.close()
        return list(self.violations.values())

    def _check(self, tab):
        try:
            report = tab.evaluate("() => window.__axeCheck && window.__axeCheck()")
        except Error:
            return  # the tab was mid-navigation: its new address is opened again
        if report is None:
            self.checked.add(address(tab.url))  # not an HTML page: nothing for axe
        else:
            self._report(None, tab.url, report)


def address(url):
    return url.split("#")[0]


def describe(addressed):
    lines = []
    for url, rule in addressed:
        lines.append(f"{url}: {rule['id']} ({rule['impact']}) {rule['help']} ({rule['helpUrl']})")
        lines.extend(f"    {target}" for target in rule["targets"])
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call":
        item.passed_its_call = report.passed
    return report


@pytest.fixture
def axe_audit(request, chromium, live_server, transactional_db):
    audit = AxeAudit(chromium, live_server.url)
    yield audit
    if not getattr(request.node, "passed_its_call", False):
        for context in audit.contexts:
            context.close()
        return
    audit.finish()
    findings = [(url, rule) for (url, _), rule in sorted(audit.violations.items())]
    if os.environ.get("AXE_REPORT"):
        with open(os.environ["AXE_REPORT"], "a") as out:
            for url, rule in findings:
                out.write(json.dumps({"test": request.node.nodeid, "url": url, **rule}) + "\n")
    serious = [(url, rule) for url, rule in findings if rule["impact"] in FAILING_IMPACTS]
    if serious:
        pytest.fail(f"axe found serious or critical violations:\n{describe(serious)}")


@pytest.fixture
def browser_page(axe_audit):
    """A fresh browser tab whose relative URLs go to the live server."""
    return axe_audit.new_context().new_page()


@pytest.fixture
def new_tab(axe_audit):
    """Opens another tab in a context of its own (another person signed in)."""
    return lambda viewport=DESKTOP: axe_audit.new_context(viewport).new_page()


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
