"""POST /api/v1/auth/token/: {"username", "password"} -> {"token"}."""

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import AnonRateThrottle


class LoginRateThrottle(AnonRateThrottle):
    scope = "login"


class ObtainTokenView(ObtainAuthToken):
    throttle_classes = [LoginRateThrottle]
