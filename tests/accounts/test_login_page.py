import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("form", "message"),
    [({"password": "x"}, "Enter the username."), ({"username": "someone"}, "Enter the password.")],
)
def test_a_missing_answer_is_named_in_the_summary_and_at_the_field(client, form, message):
    body = client.post("/accounts/login/", form).content.decode()
    assert "There is a problem" in body
    assert body.count(message) == 2
