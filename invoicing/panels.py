"""Invoicing's panel on the package page: the last weeks of planned against delivered care."""

from django.template.loader import render_to_string

from . import selectors
from .permissions import DELIVERY_READERS, RECORDABLE_STATUSES

# The package page shows the last four weeks; the delivery page has every week.
PANEL_WEEKS = 4


def package_delivery(request, package):
    """Shown to the package page's readers of delivery, once care is under way."""
    shown = request.user.role in DELIVERY_READERS and package.status in RECORDABLE_STATUSES
    if not shown:
        return ""
    weeks = selectors.planned_against_delivered(package, last_weeks=PANEL_WEEKS)
    context = {"package": package, "shown": shown, "weeks": weeks[::-1]}
    return render_to_string("invoicing/includes/package_delivery_panel.html", context, request)
