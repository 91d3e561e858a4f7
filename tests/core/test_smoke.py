import pytest


@pytest.mark.django_db
def test_login_page_renders(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("admin", "/packages/worklist/"),
        ("broker", "/packages/worklist/"),
        ("commissioner", "/dashboard/"),
        ("finance", "/invoices/board/"),
        ("provider", "/brokering/offers/"),
    ],
)
def test_each_role_lands_on_the_page_it_starts_its_day_on(page, users, role, landing):
    response = page(users[role]).get("/")
    assert (response.status_code, response.url) == (302, landing)


@pytest.mark.django_db
def test_anonymous_visitors_are_asked_to_sign_in(client):
    assert client.get("/").url.startswith("/accounts/login/")
