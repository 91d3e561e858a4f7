"""Who may see which offers and notifications: one scoped queryset each, for pages and API."""

from django.db.models import Q

from accounts.models import Role
from core.roles import has_role

from .models import Notification, Offer

# Roles that act on offers: a provider for itself, an administrator for anyone.
ANSWERING_ROLES = (Role.PROVIDER, Role.ADMIN)
# Roles that place by hand, withdraw offers and re-broker.
BROKERING_ROLES = (Role.BROKER, Role.ADMIN)


def offers_for(user):
    """Offers the user may see: a provider only its own; a broker those in its zones."""
    offers = Offer.objects.all()
    if has_role(user, Role.ADMIN, Role.COMMISSIONER, Role.FINANCE):
        return offers
    if has_role(user, Role.BROKER):
        return offers.filter(in_zones(user, "package__zone"))
    if has_role(user, Role.PROVIDER):
        return offers.filter(provider_id=user.provider_id)
    return offers.none()


def in_zones(user, zone_path: str) -> Q:
    """A broker's zone limit as a filter on `zone_path` (no limit when none are listed)."""
    zone_ids = list(user.zones.values_list("pk", flat=True))
    return Q(**{f"{zone_path}__in": zone_ids}) if zone_ids else Q()


def notifications_for(user):
    return Notification.objects.filter(recipient_id=user.pk)
