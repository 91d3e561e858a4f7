"""Brokering's reactions to what happens to packages and the market (neither imports brokering)."""

from django.dispatch import receiver

from core import jobs
from packages.signals import (
    package_cancelled,
    package_edited,
    package_handed_back,
    package_submitted,
)
from providers.signals import market_opened

from . import services, tasks


@receiver(package_submitted, dispatch_uid="brokering.broker_submitted")
@receiver(package_handed_back, dispatch_uid="brokering.broker_handed_back")
def broker_after_commit(sender, package_id, **kwargs):
    """Start (or restart, without the provider who handed it back) brokering once committed."""
    jobs.after_commit(tasks.broker_package, package_id)


@receiver(package_cancelled, dispatch_uid="brokering.withdraw_cancelled")
def withdraw_cancelled(sender, package_id, **kwargs):
    """A cancelled package's offers are withdrawn in the same transaction as the cancel."""
    services.withdraw_for_cancelled(package_id=package_id)


@receiver(package_edited, dispatch_uid="brokering.rebroker_edited")
def rebroker_edited(sender, package_id, **kwargs):
    """An open package changed: its pending offers are withdrawn in the same transaction,
    and its new round brokered once committed."""
    services.withdraw_for_changed(package_id=package_id)
    jobs.after_commit(tasks.broker_package, package_id)


@receiver(market_opened, dispatch_uid="brokering.retry_where_market_opened")
def retry_where_market_opened(sender, zone_ids, **kwargs):
    """Someone may now take an escalated package there: re-try them once committed."""
    jobs.after_commit(tasks.retry_escalated, list(zone_ids))
