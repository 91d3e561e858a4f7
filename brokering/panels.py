"""Brokering's panels: on the package page every offer the user may see and a broker's
actions; on a rota zone's page this period's split of first offers and the next swap."""

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


def zone_rota(request, zone):
    split = selectors.rota_split(zone)
    if split is None:
        return ""
    context = {"zone": zone, "split": split}
    return render_to_string("brokering/includes/zone_rota_panel.html", context, request)
