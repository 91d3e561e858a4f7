"""How the API knows who calls: an expiring token kept hashed (`Token <key>`), or a session.

Tokens are django-rest-knox's, stored as the digest of the key with an expiry;
accounts.tokens issues and revokes them.
"""

from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication

from core import clock

from . import two_factor


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            # Knox would raise here and answer 500; a key is hex, so this is just a wrong one.
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return super().authenticate_credentials(token)

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
