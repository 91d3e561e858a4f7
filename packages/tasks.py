"""Packages' Celery tasks: periodic jobs that look at state, so a missed run is caught by the next."""

from celery import shared_task

from . import services


@shared_task
def follow_the_calendar() -> dict:
    """Every few minutes: changes whose first day has come take effect; packages whose
    provider's last day has passed go to the next provider, or open."""
    return {"changes": services.bring_changes_into_force(), **services.end_notices()}
