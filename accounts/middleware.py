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
        # The path first: an API call (by the thousand in a race of accepts) then never
        # reads the session and its user, which its token, not the session, may stand for.
        path = request.path
        if (
            not path.startswith(OPEN_PREFIXES)
            and two_factor.pending(request.user)
            and path not in self._own()
        ):
            to = "accounts:verify" if two_factor.has_device(request.user) else "accounts:set_up"
            return redirect(f"{reverse(to)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _own():
        return {reverse(name) for name in ("accounts:verify", "accounts:set_up", "accounts:logout")}
