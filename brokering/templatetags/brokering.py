"""Display helpers for offers: the visit pattern in words, and the package page's offers panel."""

from django import template

from packages.models import DAYS, Purpose

from .. import selectors
from ..forms import AssignForm
from ..permissions import BROKERING_ROLES

register = template.Library()

DAY_NAMES = dict(zip(DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))


@register.filter
def visit_pattern(visit: dict) -> str:
    """{"days": [...], "time": "08:00", ...} as "Every day at 08:00, 45 minutes, 2 carers"."""
    days = visit["days"]
    when = "Every day" if len(days) == 7 else ", ".join(DAY_NAMES.get(d, d) for d in days)
    carers = "2 carers (double-handed)" if visit["carers"] == 2 else "1 carer"
    purpose = Purpose(visit["purpose"]).label.lower()
    return f"{when} at {visit['time']}, {visit['duration_minutes']} minutes, {carers}: {purpose}"


@register.inclusion_tag("brokering/includes/package_offers_panel.html", takes_context=True)
def package_offers_panel(context, package):
    """Every offer of the package the user may see, and a broker's actions on it."""
    user = context["request"].user
    offers = list(selectors.offers_of_package(package, user))
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "package": package,
        "offers": offers,
        "has_pending": any(offer.is_pending for offer in offers),
        "may_broker": user.role in BROKERING_ROLES,
        "assign_form": AssignForm(),
    }
