"""Who may see providers, contracts and capacity: one scoped queryset per model.

Staff (admin, broker, commissioner, finance) see the whole market; a
provider user sees only its own organisation, so another provider's record
is a 404. Commissioners and admins shape the market (zones.permissions);
providers and they declare capacity.
"""

from accounts.models import Role
from core.permissions import MARKET_MANAGERS, has_role
from zones.permissions import MARKET_READERS

from .models import Capacity, Contract, Provider, Rate

CAPACITY_DECLARERS = (*MARKET_MANAGERS, Role.PROVIDER)


def providers_for(user):
    return _scoped(user, Provider.objects.all(), "pk")


def contracts_for(user):
    return _scoped(user, Contract.objects.all(), "provider_id")


def rates_for(user):
    return _scoped(user, Rate.objects.all(), "provider_id")


def capacity_for(user):
    return _scoped(user, Capacity.objects.all(), "provider_id")


def _scoped(user, queryset, provider_field):
    if has_role(user, *MARKET_READERS):
        return queryset
    if has_role(user, Role.PROVIDER) and user.provider_id:
        return queryset.filter(**{provider_field: user.provider_id})
    return queryset.none()
