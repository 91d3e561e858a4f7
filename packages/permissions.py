"""Who may see which packages and people: one scoped queryset each, for pages and API alike.

An object outside the user's queryset is a 404, never a 403, so that its
existence is not revealed. Roles that may never act are refused (403) by the
views before these querysets are consulted.
"""

from django.db.models import Exists, OuterRef

from accounts.models import Role

from .models import Package, PackageStatus, Person

# A provider sees a person's identity only once the package is placed with it.
PROVIDER_VISIBLE_STATUSES = (PackageStatus.PLACED, PackageStatus.ENDED)

# Who may record, submit, cancel and end packages.
PACKAGE_WRITERS = (Role.ADMIN, Role.BROKER)
# Who may read every package (a zone-limited broker reads only its zones).
PACKAGE_READERS = (Role.ADMIN, Role.BROKER, Role.COMMISSIONER, Role.FINANCE)
# Who may hand a placed package back (a provider only its own).
HAND_BACK_ROLES = (Role.ADMIN, Role.PROVIDER)


def broker_zone_ids(user) -> list[int] | None:
    """The zones a broker is limited to, or None when it works in every zone."""
    if getattr(user, "role", None) != Role.BROKER:  # None for the system acting on its own
        return None
    return list(user.zones.values_list("pk", flat=True)) or None


def packages_for(user):
    """The packages `user` may see."""
    packages = Package.objects.all()
    if not (user and user.is_authenticated and user.is_active):
        return packages.none()
    if user.role in (Role.ADMIN, Role.COMMISSIONER, Role.FINANCE):
        return packages
    if user.role == Role.BROKER:
        zone_ids = broker_zone_ids(user)
        return packages if zone_ids is None else packages.filter(zone_id__in=zone_ids)
    if user.role == Role.PROVIDER and user.provider_id:
        return packages.filter(provider_id=user.provider_id, status__in=PROVIDER_VISIBLE_STATUSES)
    return packages.none()


def people_for(user):
    """The people `user` may see: those with at least one package the user may see."""
    return Person.objects.filter(Exists(packages_for(user).filter(person_id=OuterRef("pk"))))


def may_work_in_zone(user, zone) -> bool:
    """Whether `user` may record packages in `zone` (a broker only in its zones)."""
    zone_ids = broker_zone_ids(user)
    return zone_ids is None or zone.pk in zone_ids
