"""Template tags that draw the market's pieces on other apps' pages.

A zone's page shows its providers through `{% zone_contracts zone %}`: the
zones app sits below providers and does not import it, so the providers part
of that page is drawn here.
"""

from django import template

from core.permissions import MARKET_MANAGERS, has_role

from .. import selectors
from ..forms import ContractForm
from ..models import CqcRating, ProviderStatus

register = template.Library()

RATING_COLOURS = {
    CqcRating.OUTSTANDING: "green",
    CqcRating.GOOD: "turquoise",
    CqcRating.REQUIRES_IMPROVEMENT: "yellow",
    CqcRating.INADEQUATE: "red",
    CqcRating.NOT_RATED: "grey",
}
STATUS_COLOURS = {
    ProviderStatus.ACTIVE: "green",
    ProviderStatus.ONBOARDING: "blue",
    ProviderStatus.SUSPENDED: "orange",
    ProviderStatus.EXITED: "grey",
}


@register.inclusion_tag("providers/includes/zone_contracts.html", takes_context=True)
def zone_contracts(context, zone):
    request = context["request"]
    contracts = list(selectors.contracts_in_order(zone.contracts.all()))
    can_manage = has_role(request.user, *MARKET_MANAGERS)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "zone": zone,
        "contracts": contracts,
        "rota": selectors.rota_period(zone, contracts),
        "can_manage": can_manage,
        "form": ContractForm(zone=zone) if can_manage else None,
    }


@register.inclusion_tag("providers/includes/tag.html")
def rating_tag(provider):
    return {
        "label": provider.get_cqc_rating_display(),
        "colour": RATING_COLOURS.get(provider.cqc_rating, "grey"),
    }


@register.inclusion_tag("providers/includes/tag.html")
def status_tag(provider):
    return {
        "label": provider.get_status_display(),
        "colour": STATUS_COLOURS.get(provider.status, "grey"),
    }
