import pytest


@pytest.mark.django_db
def test_login_page_renders(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in" in response.content


@pytest.mark.django_db
def test_signed_in_user_lands_somewhere(page, broker):
    response = page(broker).get("/")
    assert response.status_code in (200, 302)
