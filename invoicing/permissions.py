"""Who may see and do what with delivered visits and invoices: one scoped queryset per model.

Pages and the API both use these, so they cannot disagree. An object outside the
user's queryset is a 404 (its existence is not revealed); a role that may never
do something is refused with a 403 before these are consulted.
"""

from django.db.models import Exists, OuterRef

from accounts.models import Role
from core.permissions import ALL_ORGANISATIONS, FINANCE, PROVIDER_ACTORS, has_role
from packages.models import Package, PackageStatus, Placement
from packages.permissions import packages_for

from .models import DeliveredVisit, Invoice, InvoicingJob, PaymentRun

# Commissioners read everything (spend); brokers work on packages and offers only.
READERS = (Role.ADMIN, Role.FINANCE, Role.COMMISSIONER, Role.PROVIDER)
# Planned against delivered on a package: brokers too, who watch the care they placed.
DELIVERY_READERS = (*READERS, Role.BROKER)
# Providers send what their ECM recorded; an administrator may on their behalf.
VISIT_RECORDERS = PROVIDER_ACTORS
# A provider builds its own invoice; finance records one that came by post.
INVOICE_BUILDERS = (*FINANCE, Role.PROVIDER)
# Approve, dispute, pay, payment runs, the payment board: core.permissions.FINANCE.
# Visits are recorded for packages placed with the provider, and after they end.
RECORDABLE_STATUSES = (PackageStatus.PLACED, PackageStatus.ENDED)


def sees_every_visit(user):
    return has_role(user, *ALL_ORGANISATIONS)


def visits_for(user):
    """The delivered visits `user` may see: a provider only its own."""
    visits = DeliveredVisit.objects.all()
    if sees_every_visit(user):
        return visits
    if has_role(user, Role.PROVIDER) and user.provider_id:
        return visits.filter(provider_id=user.provider_id)
    return visits.none()


def invoices_for(user):
    """The invoices `user` may see: a provider only its own."""
    invoices = Invoice.objects.all()
    if has_role(user, *ALL_ORGANISATIONS):
        return invoices
    if has_role(user, Role.PROVIDER) and user.provider_id:
        return invoices.filter(provider_id=user.provider_id)
    return invoices.none()


def payment_runs_for(user):
    runs = PaymentRun.objects.all()
    return runs if has_role(user, *FINANCE) else runs.none()


def recordable_packages_for(user):
    """Packages `user` may record delivered visits for: a provider those it has cared for
    or is to care for (a placement of its own; the days are checked against it), an
    administrator any placed or ended."""
    if not has_role(user, *VISIT_RECORDERS):
        return Package.objects.none()
    if user.role == Role.PROVIDER:
        own = Placement.objects.filter(package=OuterRef("pk"), provider_id=user.provider_id)
        return Package.objects.filter(Exists(own))
    return packages_for(user).filter(status__in=RECORDABLE_STATUSES, provider__isnull=False)


def jobs_for(user):
    """The imports and invoice builds `user` may follow: only those it started."""
    if not (user and user.is_authenticated):
        return InvoicingJob.objects.none()
    return InvoicingJob.objects.filter(created_by=user)
