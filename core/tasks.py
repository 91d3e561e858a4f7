"""Core's Celery tasks: periodic jobs that look at state, so a missed run is caught by the next."""

from celery import shared_task

from . import fresh


@shared_task
def forget_old_changes() -> dict:
    """Every hour: the change log's notes older than any kept page can need go."""
    return {"changes": fresh.forget_old_changes()}
