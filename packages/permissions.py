"""Who may see which packages and people: one scoped queryset each, for pages and API alike.

An object outside the user's queryset is a 404, never a 403, so that its
existence is not revealed. Roles that may never act are refused (403) by the
views before these querysets are consulted.
"""

from django.db.models import Exists, OuterRef, Q

from accounts.models import Role
from core.permissions import (
    ALL_ORGANISATIONS,
    BROKERS,
    PROVIDER_ACTORS,
    STAFF,
    has_role,
    in_broker_zones,
)

from .models import Package, PackageStatus, Person, ReferralInProgress

# A provider sees a person's identity only once the package is placed with it.
PROVIDER_VISIBLE_STATUSES = (PackageStatus.PLACED, PackageStatus.ENDED)

# Who may record, submit, cancel and end packages.
PACKAGE_WRITERS = BROKERS
# Who may read every package (a zone-limited broker reads only its zones).
PACKAGE_READERS = STAFF
# Who may hand a placed package back (a provider only its own).
HAND_BACK_ROLES = PROVIDER_ACTORS


def packages_for(user):
    """The packages `user` may see."""
    packages = Package.objects.all()
    if not (user and user.is_authenticated and user.is_active):
        return packages.none()
    if user.role in ALL_ORGANISATIONS:
        return packages
    if user.role == Role.BROKER:
        return packages.filter(in_broker_zones(user, "zone"))
    if user.role == Role.PROVIDER and user.provider_id:
        return packages.filter(provider_id=user.provider_id, status__in=PROVIDER_VISIBLE_STATUSES)
    return packages.none()


def people_for(user):
    """The people `user` may see: those with at least one package the user may see."""
    return Person.objects.filter(Exists(packages_for(user).filter(person_id=OuterRef("pk"))))


# A person's packages still in hand: a change to the person reaches whoever holds one.
LIVE_STATUSES = (PackageStatus.DRAFT, PackageStatus.OPEN, PackageStatus.PLACED)


def may_change_person(user, person) -> bool:
    """Whether `user` may change `person`'s details: a package writer who sees every live
    package of theirs (so a zone-limited broker cannot rewrite a record placed elsewhere)."""
    if not (user and getattr(user, "role", None) in PACKAGE_WRITERS):
        return False
    live = Package.objects.filter(person=person, status__in=LIVE_STATUSES)
    return not live.exclude(pk__in=packages_for(user).values("pk")).exists()


def referrals_in_progress_for(user):
    """The referrals in progress `user` may finish: their own, and those whose postcode
    names a zone they broker."""
    if not has_role(user, *PACKAGE_WRITERS):
        return ReferralInProgress.objects.none()
    in_zone = Q(zone__isnull=False) & in_broker_zones(user, "zone")
    return ReferralInProgress.objects.filter(Q(created_by=user) | in_zone)
