"""Packages' Celery tasks: periodic jobs that look at state, so a missed run is caught by the next."""

from celery import shared_task

from . import commissioned, services


@shared_task
def follow_the_calendar() -> dict:
    """Every few minutes: changes whose first day has come take effect; packages whose
    provider's last day has passed go to the next provider, or open; brokers are told of
    reviews fallen due."""
    return {
        "changes": services.bring_changes_into_force(),
        **services.end_notices(),
        "reviews_due": services.tell_reviews_due(),
    }


@shared_task
def close_commissioned_days() -> dict:
    """Every hour: the days that have passed join the commissioned-care rollup."""
    return {"days": commissioned.close_days()}
