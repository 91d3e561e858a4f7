"""API tokens: issued for a time, kept hashed, revoked by their holder or when the account changes.

A token stands for its user as the user was when it was issued: a new password, role,
organisation or set of zones revokes every token the user holds (accounts.signals), so
a token of a finance officer who moved to a provider does not carry into the new scope.
"""

from django.db import transaction

from core import audit, clock

from .models import ApiToken, User


def issue(user: User) -> tuple[ApiToken, str]:
    """A new token for `user`: the key is given once, here; only its digest is kept."""
    with transaction.atomic():
        # Expired tokens go when their user gets a new one (the authentication reads no others).
        user.auth_token_set.filter(expiry__lt=clock.now()).delete()
        return ApiToken.objects.create(user=user)


def live_tokens(user: User):
    return ApiToken.objects.filter(user=user, expiry__gt=clock.now())


def revoke(*, user: User, token_id) -> bool:
    """`user` revokes one of its own tokens; False when it holds no such token."""
    with transaction.atomic():
        deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
        if deleted:
            audit.record(by=user, obj=user, changes={"api_tokens": [str(token_id), "revoked"]})
    return bool(deleted)


def revoke_all(user: User, *, because: str) -> int:
    """Every token of `user` revoked (its password, role or organisation changed)."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    if deleted:
        audit.record(by=None, obj=user, changes={"api_tokens": [f"{deleted} revoked", because]})
    return deleted
