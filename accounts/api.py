"""POST /api/v1/auth/token/: {"username", "password"} -> {"token"}."""

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import AnonRateThrottle

from core.net import client_ip


class LoginRateThrottle(AnonRateThrottle):
    scope = "login"

    def get_ident(self, request):
        # The client's address through our proxies, as lockout and the access log see it.
        return client_ip(request) or ""


class AccountLocked(exceptions.APIException):
    """An account locked out after repeated failed sign-ins: the same 429 as the sign-in page."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self):
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        super().__init__(
            f"Too many failed sign-in attempts: this account is locked for {minutes} minutes. "
            "Try again later, or ask an administrator to unlock it."
        )


class ObtainTokenView(ObtainAuthToken):
    throttle_classes = [LoginRateThrottle]

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.ValidationError:
            # django-axes refuses a locked account inside authenticate(), which DRF
            # then reports as wrong credentials: a person typing the right password
            # would be told it is wrong. Axes flags the request it refused.
            if getattr(request, "axes_locked_out", False):
                raise AccountLocked() from None
            raise
