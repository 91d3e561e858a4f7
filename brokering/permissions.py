"""Who may see which offers: one scoped queryset, for the portal, the package page and the API."""

from django.db import connection

from accounts.models import Role
from core.permissions import ALL_ORGANISATIONS, BROKERS, PROVIDER_ACTORS, has_role, in_broker_zones
from core.queries import Prepared

from .models import Offer

# Roles that answer offers: a provider for itself, an administrator for anyone.
ANSWERING_ROLES = PROVIDER_ACTORS
# Roles that place by hand, withdraw offers and re-broker.
BROKERING_ROLES = BROKERS

# How far a user's offers reach, and what that reach is worked out from.
EVERY, BROKER_ZONES, OWN, NONE = "every", "broker zones", "own", "none"


def _scope(user) -> tuple[str, dict]:
    """The user's reach and its values: a provider only its own; a broker those in its zones."""
    if has_role(user, *ALL_ORGANISATIONS):
        return EVERY, {}
    if has_role(user, Role.BROKER):
        return BROKER_ZONES, {"broker": user}
    if has_role(user, Role.PROVIDER):
        return OWN, {"provider_id": user.provider_id}
    return NONE, {}


def _within(offers, scope, *, broker=None, provider_id=None):
    if scope == EVERY:
        return offers
    if scope == BROKER_ZONES:
        return offers.filter(in_broker_zones(broker, "package__zone"))
    if scope == OWN:
        return offers.filter(provider_id=provider_id)
    return offers.none()


def offers_for(user):
    """Offers the user may see: a provider only its own; a broker those in its zones."""
    scope, values = _scope(user)
    return _within(Offer.objects.all(), scope, **values)


def _one_offer(scope):
    def build(pk, **values):
        return _within(Offer.objects.select_related("package"), scope, **values).filter(pk=pk)

    return Prepared(build)


# An answer reads its offer by id: compiled once for each reach, where building and compiling
# the query cost the ORM more than the database takes (most of a race's accepts are refused).
_ONE_OFFER = {scope: _one_offer(scope) for scope in (EVERY, BROKER_ZONES, OWN)}


def offer_for(user, pk: int) -> Offer | None:
    """offers_for(user).select_related("package").get(pk=pk), or None when the user may not
    see it."""
    low, high = connection.ops.integer_field_range(Offer._meta.pk.get_internal_type())
    if not low <= pk <= high:
        return None  # as the ORM answers it, asking nothing (SQLite cannot take the number)
    scope, values = _scope(user)
    if scope == NONE:
        return None  # none() has no SQL to compile
    found = _ONE_OFFER[scope](pk=pk, **values)
    return found[0] if found else None
