"""403, 404, 500 and a refused CSRF token: pages in the service's layout saying what to do
next; under /api/ the same errors answer JSON."""

import pytest
from django.test import Client

from brokerage.error_pages import server_error

LAYOUT = 'class="govuk-header"'
START_PAGE = '<a class="govuk-link" href="/">Go to your start page</a>'


@pytest.mark.django_db
def test_a_missing_page_says_what_to_check_in_the_layout_with_its_navigation(page, broker):
    response = page(broker).get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in html
    assert LAYOUT in html and START_PAGE in html
    assert 'class="govuk-service-navigation__link" href="/packages/worklist/"' in html


@pytest.mark.django_db
def test_a_page_the_role_may_not_use_says_whom_to_ask(page, provider_user):
    response = page(provider_user).get("/invoices/board/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "You cannot use this page" in html
    assert "ask your service administrator to change your account" in html
    assert LAYOUT in html and START_PAGE in html


@pytest.mark.django_db
def test_a_form_sent_with_a_stale_csrf_token_says_how_to_send_it_again(broker):
    client = Client(enforce_csrf_checks=True)
    client.force_login(broker)
    response = client.post("/accounts/logout/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Your form was not sent" in html and "reload the page" in html
    assert LAYOUT in html and START_PAGE in html


@pytest.mark.django_db
@pytest.mark.urls("tests.core.error_urls")
def test_a_failing_page_shows_the_500_page_in_the_layout():
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert LAYOUT in html and START_PAGE in html
    assert "Home care brokerage" in html


def test_the_500_page_needs_no_request_nor_database():
    # No django_db mark: touching the database (a session, a user) here would fail.
    response = server_error(None)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()
    assert "govuk-service-navigation" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls("tests.core.error_urls")
@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [("/api/v1/no-such-thing/", 404, "Not found."), ("/api/v1/broken/", 500, "Server error.")],
)
def test_the_apis_paths_answer_errors_as_json(url, status, detail):
    response = Client(raise_request_exception=False).get(url)
    assert (response.status_code, response.json()) == (status, {"detail": detail})
