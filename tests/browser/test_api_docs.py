"""The API docs render in Chromium under our Content Security Policy, from the app's own files."""

from tests.browser.conftest import screenshot

# Swagger UI and ReDoc draw some 76 operations in the page's own script, which takes far
# longer than other pages when CI's two test workers share the machine's two cores.
RENDER_TIMEOUT_MS = 60_000


def watch_console(tab):
    """Collect what the page reports as broken: script errors and CSP refusals."""
    problems = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return problems


def test_swagger_ui_lists_the_operations(browser_page):
    tab = browser_page
    problems = watch_console(tab)
    tab.goto("/api/v1/docs/")
    tab.get_by_text("/api/v1/zones/lookup/").wait_for(timeout=RENDER_TIMEOUT_MS)
    screenshot(tab, "api_docs_swagger", full_page=False)
    assert problems == []


def test_redoc_lists_the_operations(browser_page):
    tab = browser_page
    problems = watch_console(tab)
    tab.goto("/api/v1/redoc/")
    tab.get_by_role("menuitem", name="zones").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    screenshot(tab, "api_docs_redoc", full_page=False)
    # ReDoc's footer links a logo from its own CDN; the policy refusing it is the point.
    assert [problem for problem in problems if "cdn.redoc.ly" not in problem] == []
