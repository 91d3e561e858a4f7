"""Who may see which offers: one scoped queryset, for the portal, the package page and the API."""

from accounts.models import Role
from core.permissions import ALL_ORGANISATIONS, BROKERS, PROVIDER_ACTORS, has_role, in_broker_zones

from .models import Offer

# Roles that answer offers: a provider for itself, an administrator for anyone.
ANSWERING_ROLES = PROVIDER_ACTORS
# Roles that place by hand, withdraw offers and re-broker.
BROKERING_ROLES = BROKERS


def offers_for(user):
    """Offers the user may see: a provider only its own; a broker those in its zones."""
    offers = Offer.objects.all()
    if has_role(user, *ALL_ORGANISATIONS):
        return offers
    if has_role(user, Role.BROKER):
        return offers.filter(in_broker_zones(user, "package__zone"))
    if has_role(user, Role.PROVIDER):
        return offers.filter(provider_id=user.provider_id)
    return offers.none()
