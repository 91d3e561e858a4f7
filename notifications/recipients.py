"""Who hears of what: the users each kind of notification goes to (active users only)."""

from accounts.models import Role, User
from core.permissions import broker_zone_q


def brokers_for_zone(zone_id):
    """Every broker who may see a package in the zone: zone limits apply."""
    brokers = User.objects.filter(role=Role.BROKER, is_active=True)
    return brokers.filter(broker_zone_q(zone_id)).distinct()


def provider_users(provider_id):
    """The staff of one provider organisation."""
    return User.objects.filter(role=Role.PROVIDER, is_active=True, provider_id=provider_id)


def users_of_providers(provider_ids) -> dict[int, list[User]]:
    """The staff of each of several provider organisations, in one query."""
    staff = {provider_id: [] for provider_id in provider_ids}
    for user in User.objects.filter(
        role=Role.PROVIDER, is_active=True, provider_id__in=staff
    ).order_by("pk"):
        staff[user.provider_id].append(user)
    return staff


def finance_users():
    """Finance officers, and administrators, who answer for the payment deadline."""
    return User.objects.filter(role__in=(Role.FINANCE, Role.ADMIN), is_active=True)
