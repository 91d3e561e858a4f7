"""Invoicing's Celery tasks: a few lines each, calling services, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name="invoicing.tasks.check_invoice_deadlines")
def check_invoice_deadlines() -> int:
    """Hourly (settings.CELERY_BEAT_SCHEDULE): warn finance of invoices due soon or overdue."""
    return services.check_invoice_deadlines()
