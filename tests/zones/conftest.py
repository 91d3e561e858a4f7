import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The shared `users` fixture hashes six passwords per test; PBKDF2's million
    # rounds would make that seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
