"""Providers' panel on the zone page: the providers contracted in the zone, and the rota."""

from django.template.loader import render_to_string

from core.permissions import MARKET_MANAGERS, has_role

from . import selectors
from .forms import ContractForm


def zone_contracts(request, zone):
    contracts = list(selectors.contracts_in_order(zone.contracts.all()))
    can_manage = has_role(request.user, *MARKET_MANAGERS)
    context = {
        "zone": zone,
        "contracts": contracts,
        "rota": selectors.rota_period(zone, contracts),
        "can_manage": can_manage,
        "form": ContractForm(zone=zone) if can_manage else None,
    }
    return render_to_string("providers/includes/zone_contracts.html", context, request)
