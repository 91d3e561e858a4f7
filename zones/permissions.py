"""Who may see and shape zones: one scoped queryset, used by the pages and the API."""

from accounts.models import Role
from core.roles import has_role

from .models import Zone

# Commissioners design the market; admins may do everything.
MARKET_MANAGERS = (Role.ADMIN, Role.COMMISSIONER)
MARKET_READERS = (*MARKET_MANAGERS, Role.BROKER, Role.FINANCE)


def zones_for(user):
    """Every zone, to every signed-in role: a zone is public geography, not a secret."""
    if has_role(user, *MARKET_READERS, Role.PROVIDER):
        return Zone.objects.all()
    return Zone.objects.none()
