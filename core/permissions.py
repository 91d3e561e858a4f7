"""The permission vocabulary every app's `permissions.py` speaks: roles and a few predicates.

Each app decides who sees what in one place (its `permissions.py`, a queryset
already scoped to the user, shared by its pages and its API). They build on
these: whether a user holds a role, whether a broker may work in a zone (the
one way a broker's zone limit is worked out), whether a user belongs to a
provider organisation. An object outside a user's queryset is a 404, never a
403; a role that may never act is refused (403) first.
"""

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, prefetch_related_objects
from rest_framework import permissions

from accounts.models import Role

# Staff who read across organisations: everyone but providers.
STAFF = (Role.ADMIN, Role.BROKER, Role.COMMISSIONER, Role.FINANCE)
# Who sees every organisation's records (a broker may be limited to zones).
ALL_ORGANISATIONS = (Role.ADMIN, Role.COMMISSIONER, Role.FINANCE)
# Who records, submits, changes and places packages, and acts on their offers.
BROKERS = (Role.ADMIN, Role.BROKER)
# Who shapes the market: zones, providers, contracts, rates.
MARKET_MANAGERS = (Role.ADMIN, Role.COMMISSIONER)
# Who approves and pays invoices and answers for the payment deadline.
FINANCE = (Role.ADMIN, Role.FINANCE)
# Who acts for a provider organisation: its staff, or an administrator for any.
PROVIDER_ACTORS = (Role.ADMIN, Role.PROVIDER)


def has_role(user, *roles) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in roles)


def require_role(user, *roles) -> None:
    """Raise PermissionDenied (403) unless the user holds one of the roles."""
    if not has_role(user, *roles):
        raise PermissionDenied


def broker_zone_ids(user) -> list[int] | None:
    """The zones a broker is limited to, or None when it is not limited (every other role,
    and the system acting on its own, is never limited by zone)."""
    if getattr(user, "role", None) != Role.BROKER:
        return None
    # Read once per user object: a page asks up to three times (its queryset, its filters,
    # its zone check). Changing the zones through the relation drops what was read.
    if "zones" not in getattr(user, "_prefetched_objects_cache", {}):
        prefetch_related_objects([user], "zones")
    return [zone.pk for zone in user.zones.all()] or None


def in_broker_zones(user, zone_path: str) -> Q:
    """A broker's zone limit as a filter on `zone_path` ("zone", "package__zone")."""
    zone_ids = broker_zone_ids(user)
    return Q() if zone_ids is None else Q(**{f"{zone_path}__in": zone_ids})


def may_broker_zone(user, zone) -> bool:
    """Whether `user` may record and broker packages in `zone` (a Zone or its id)."""
    zone_ids = broker_zone_ids(user)
    return zone_ids is None or getattr(zone, "pk", zone) in zone_ids


def broker_zone_q(zone_id) -> Q:
    """On users: brokers who may work in the zone (limited to it, or not limited at all)."""
    return Q(zones__isnull=True) | Q(zones=zone_id)


def belongs_to_provider(user, provider_id) -> bool:
    """Whether `user` is staff of the provider organisation `provider_id`."""
    return has_role(user, Role.PROVIDER) and user.provider_id == provider_id


def own_provider_id(user) -> int | None:
    """The provider organisation a provider user acts for; None for every other user."""
    return user.provider_id if has_role(user, Role.PROVIDER) else None


class RoleRequiredMixin(AccessMixin):
    """For pages: anonymous users go to the login page, wrong roles get 403."""

    allowed_roles: tuple = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        require_role(request.user, *self.allowed_roles)
        return super().dispatch(request, *args, **kwargs)


def role_permission(*roles, read_roles=None):
    """A DRF permission class: `roles` may do anything, `read_roles` may read."""
    read = tuple(read_roles or ()) + tuple(roles)

    class _RolePermission(permissions.BasePermission):
        def has_permission(self, request, view):
            if request.method in permissions.SAFE_METHODS:
                return has_role(request.user, *read)
            return has_role(request.user, *roles)

    _RolePermission.__name__ = f"RolePermission_{'_'.join(roles)}"
    return _RolePermission
