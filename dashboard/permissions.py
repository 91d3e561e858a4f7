"""Who may read the dashboard, and which zones each reader sees.

The numbers are aggregates with no one's identity in them, so every staff
role may read them (finance for spend and on-time payment); a broker limited
to some zones sees only those zones. Providers never see the market as a whole.
"""

from accounts.models import Role
from core.permissions import broker_zone_ids
from zones.models import Zone

DASHBOARD_ROLES = (Role.ADMIN, Role.COMMISSIONER, Role.BROKER, Role.FINANCE)


def dashboard_zones_for(user):
    """The zones whose numbers `user` may see."""
    zone_ids = broker_zone_ids(user)
    return Zone.objects.all() if zone_ids is None else Zone.objects.filter(pk__in=zone_ids)
