"""Who may see and shape zones: one scoped queryset, used by the pages and the API."""

from accounts.models import Role
from core.permissions import STAFF, has_role

from .models import Zone

# Commissioners design the market (core.permissions.MARKET_MANAGERS); all staff read it.
MARKET_READERS = STAFF


def zones_for(user):
    """Every zone, to every signed-in role: a zone is public geography, not a secret."""
    if has_role(user, *MARKET_READERS, Role.PROVIDER):
        return Zone.objects.all()
    return Zone.objects.none()
