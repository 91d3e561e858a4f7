"""Staff who have given their password but not yet a code reach only the second-factor pages."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from . import two_factor

# Reachable before the code: the pages that ask for it, signing out, static files, health,
# and the API, which answers for itself (accounts.authentication).
OPEN_PREFIXES = ("/static/", "/health/", "/api/")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if two_factor.pending(request.user) and not self._open(request.path):
            to = "accounts:verify" if two_factor.has_device(request.user) else "accounts:set_up"
            return redirect(f"{reverse(to)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _open(path):
        own = {reverse(name) for name in ("accounts:verify", "accounts:set_up", "accounts:logout")}
        return path in own or path.startswith(OPEN_PREFIXES)
