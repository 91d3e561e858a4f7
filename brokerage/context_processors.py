"""What every page needs: the service name and the navigation for the user's role."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from accounts import two_factor

from .navigation import NAVIGATION


def service(request):
    return {"service_name": settings.SERVICE_NAME, "navigation": navigation_for(request)}


def navigation_for(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or two_factor.pending(user):
        # Nothing to go to before the second factor is given.
        return []
    items = []
    for label, url_name, roles in NAVIGATION:
        if user.role not in roles:
            continue
        try:
            href = reverse(url_name)
        except NoReverseMatch:  # a page whose app is not installed in this build
            continue
        items.append({"label": label, "href": href, "active": False})
    # Only the closest match is current: /invoices/board/ is the board, not "Invoices".
    matches = [item for item in items if request.path.startswith(item["href"])]
    if matches:
        max(matches, key=lambda item: len(item["href"]))["active"] = True
    return items
