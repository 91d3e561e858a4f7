import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher takes about a second per password on this machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
