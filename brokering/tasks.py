"""Brokering's Celery tasks: a few lines each, taking ids and calling services.

Each is safe to run twice: the services look at the database's state, and
the periodic sweep catches whatever a lost message left undone.
"""

from celery import shared_task

from . import services


@shared_task
def broker_package(package_id: int) -> int:
    """Take the next brokering step for a package; answers how many offers were sent."""
    return len(services.advance_brokering(package_id=package_id))


@shared_task
def sweep_brokering() -> dict:
    """Every minute: expire offers past their window and drive stalled packages on."""
    return services.sweep_brokering()


@shared_task
def retry_escalated(zone_ids: list[int]) -> int:
    """Re-try the escalated packages a market change in these zones may help."""
    return services.retry_escalated(zone_ids=zone_ids)


@shared_task
def moved_on_beyond_cap(offer_ids: list[int]) -> None:
    """After an accept withdrew offers beyond the provider's cap: their packages move on."""
    services.moved_on_beyond_cap(offer_ids=offer_ids)
