"""The axe check every browser test gets: it runs under the service's own CSP and
finds a violation on a page, including one made after the page loaded."""

from tests.browser.conftest import AxeAudit, describe


def test_axe_checks_each_page_under_its_csp_and_finds_what_is_wrong(
    chromium, live_server, transactional_db
):
    audit = AxeAudit(chromium, live_server.url)
    tab = audit.new_context().new_page()
    response = tab.goto("/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # A field with no label, as a template slip would leave it (critical for axe).
    tab.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML(
            "beforeend", '<input id="unlabelled" type="text">')"""
    )
    findings = audit.finish()

    assert f"{live_server.url}/accounts/login/" in audit.checked
    labels = [rule for rule in findings if rule["id"] == "label"]
    assert labels and labels[0]["impact"] == "critical", describe(
        [("/accounts/login/", rule) for rule in findings]
    )
    assert labels[0]["targets"] == ["#unlabelled"]
