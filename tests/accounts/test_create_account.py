import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role, User
from tests.factories import ProviderFactory, ZoneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def password(monkeypatch):
    monkeypatch.setenv("ACCOUNT_PASSWORD", "a-long-demo-password")
    return "a-long-demo-password"


def create(*args):
    call_command("create_account", *args, "--noinput")
    return User.objects.get(username=args[0])


@pytest.mark.parametrize("role", ["admin", "broker", "commissioner", "finance"])
def test_creates_an_account_with_the_role_and_password(role, password):
    user = create(f"{role}.one", "--role", role)
    assert user.role == role
    assert user.check_password(password)
    assert user.is_superuser is (role == Role.ADMIN)
    assert user.provider is None


def test_a_provider_user_belongs_to_its_provider():
    ProviderFactory(code="EXE-VALLEY")
    user = create("exe", "--role", "provider", "--provider", "EXE-VALLEY")
    assert user.provider.code == "EXE-VALLEY"


def test_a_broker_can_be_limited_to_zones():
    ZoneFactory(code="EXETER")
    ZoneFactory(code="EAST")
    ZoneFactory(code="NORTH")
    user = create("dana", "--role", "broker", "--zones", "EXETER, EAST")
    assert sorted(user.zones.values_list("code", flat=True)) == ["EAST", "EXETER"]


def test_running_again_updates_role_and_password(monkeypatch):
    ZoneFactory(code="EXETER")
    create("sam", "--role", "broker", "--zones", "EXETER")
    monkeypatch.setenv("ACCOUNT_PASSWORD", "another-long-password")
    user = create("sam", "--role", "commissioner")
    assert user.role == Role.COMMISSIONER
    assert user.check_password("another-long-password")
    assert not user.zones.exists()
    assert User.objects.filter(username="sam").count() == 1


def test_an_email_is_set_and_kept_when_run_again_without_one():
    user = create("eve", "--role", "finance", "--email", "eve@council.example.org")
    assert user.email == "eve@council.example.org"
    assert create("eve", "--role", "finance").email == "eve@council.example.org"


def test_a_provider_user_can_become_staff_again():
    ProviderFactory(code="EXE-VALLEY")
    create("pat", "--role", "provider", "--provider", "EXE-VALLEY")
    user = create("pat", "--role", "finance")
    assert (user.role, user.provider) == (Role.FINANCE, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "--role", "wizard"], "Unknown role 'wizard'"),
        (["x", "--role", "provider"], "needs --provider"),
        (["x", "--role", "provider", "--provider", "NOBODY"], "No provider has the code 'NOBODY'"),
        (["x", "--role", "broker", "--provider", "EXE-VALLEY"], "Only a provider user"),
        (["x", "--role", "broker", "--zones", "EXETER,NOWHERE"], "No zone has the code NOWHERE"),
        (["x", "--role", "finance", "--zones", "EXETER"], "Only a broker"),
        (["bad name!", "--role", "broker"], "Enter a valid username"),
        (["x", "--role", "broker", "--email", "not-an-address"], "is not an email address"),
    ],
)
def test_clear_errors(args, message):
    ProviderFactory(code="EXE-VALLEY")
    ZoneFactory(code="EXETER")
    with pytest.raises(CommandError, match=message):
        call_command("create_account", *args, "--noinput")
    assert not User.objects.filter(username=args[0]).exists()


def test_noinput_needs_the_password_in_the_environment(monkeypatch):
    monkeypatch.delenv("ACCOUNT_PASSWORD")
    with pytest.raises(CommandError, match="ACCOUNT_PASSWORD"):
        call_command("create_account", "x", "--role", "broker", "--noinput")


def test_the_new_account_signs_in(client, password):
    create("kim", "--role", "commissioner")
    response = client.post("/accounts/login/", {"username": "kim", "password": password})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("weak", "reason"),
    [
        ("123", "too short"),
        ("password", "too short"),
        ("password1234", "too common"),
        ("472946105738", "entirely numeric"),
        ("pat.bramble", "too similar to the username"),
        ("pat.bramblepat.bramble", "cannot contain the username"),
        ("eleven-char", "too short"),
    ],
)
def test_a_weak_password_is_refused_and_nothing_is_saved(monkeypatch, weak, reason):
    monkeypatch.setenv("ACCOUNT_PASSWORD", weak)
    with pytest.raises(CommandError, match=reason):
        create("pat.bramble", "--role", "finance")
    assert not User.objects.filter(username="pat.bramble").exists()


def test_a_weak_password_leaves_an_existing_account_as_it_was(monkeypatch, password):
    user = create("pat.bramble", "--role", "finance")
    monkeypatch.setenv("ACCOUNT_PASSWORD", "123")
    with pytest.raises(CommandError, match="too short"):
        create("pat.bramble", "--role", "broker")
    user.refresh_from_db()
    assert (user.role, user.check_password(password)) == ("finance", True)


def test_the_demo_password_passes_the_validators():
    from django.contrib.auth.password_validation import validate_password

    from demo.market import ACCOUNTS, DEMO_PASSWORD

    for username, *_ in ACCOUNTS:
        validate_password(
            DEMO_PASSWORD, User(username=username, email=f"{username}@demo.example.org")
        )
