"""Brokering's panel on the package page: every offer the user may see, and a broker's actions."""

from django.template.loader import render_to_string

from . import selectors
from .permissions import BROKERING_ROLES


def package_offers(request, package):
    offers = list(selectors.offers_of_package(package, request.user))
    context = {
        "package": package,
        "offers": offers,
        "has_pending": any(offer.is_pending for offer in offers),
        "may_broker": request.user.role in BROKERING_ROLES,
    }
    return render_to_string("brokering/includes/package_offers_panel.html", context, request)
