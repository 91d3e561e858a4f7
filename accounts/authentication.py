"""How the API knows who calls: an expiring token kept hashed (`Token <key>`), or a session.

Tokens are django-rest-knox's, stored as the digest of the key with an expiry;
accounts.tokens issues and revokes them.
"""

import binascii
from hmac import compare_digest

from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication

from core import clock
from core.queries import Prepared

from . import two_factor
from .models import ApiToken

# Every API call reads its token with its user: compiled once, where building and compiling
# the query cost the ORM more than the database takes to answer it.
_TOKENS = Prepared(
    lambda token_key: ApiToken.objects.filter(token_key=token_key).select_related("user")
)


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token):
        """Knox's (5.1) own steps, its tokens read by the compiled query: the tokens of the
        key's first characters, an expired one deleted, the digest compared in constant time,
        the expiry renewed when AUTO_REFRESH is set, an inactive user refused."""
        msg = _("Invalid token.")
        try:
            token = token.decode("utf-8")
        except UnicodeDecodeError:
            # Knox would raise here and answer 500; a key is hex, so this is just a wrong one.
            raise exceptions.AuthenticationFailed(msg) from None
        for auth_token in _TOKENS(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(msg) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)

    def _cleanup_token(self, auth_token) -> bool:
        # Knox also reads and deletes the user's other expired tokens on every request: a
        # query more per call. Issuing a token clears them instead (accounts.tokens.issue).
        if auth_token.expiry is not None and auth_token.expiry < clock.now():
            auth_token.delete()
            return True
        return False


class VerifiedSessionAuthentication(SessionAuthentication):
    """A browser session, once a staff user has given the second factor where it is required.

    The pages ask for it (accounts.middleware); this keeps the API, read with the same
    session cookie, from being the way round it. Tokens are unaffected: a token is
    obtained with the password alone, for systems that cannot give a code.
    """

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None and two_factor.pending(found[0]):
            raise exceptions.PermissionDenied(
                "Give the security code from your authenticator app first (sign in again)."
            )
        return found
