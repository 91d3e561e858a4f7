"""Invoicing's Celery tasks: a few lines each, calling services, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name="invoicing.tasks.check_invoice_deadlines")
def check_invoice_deadlines() -> int:
    """Hourly (settings.CELERY_BEAT_SCHEDULE): warn finance of invoices due soon or overdue."""
    return services.check_invoice_deadlines()


@shared_task(name="invoicing.tasks.run_invoicing_job")
def run_invoicing_job(job_id: int) -> bool:
    """A large visits import or invoice build (services.jobs); runs a job once however often
    it is delivered."""
    return services.run_job(job_id)


@shared_task(name="invoicing.tasks.requeue_stalled_jobs")
def requeue_stalled_jobs() -> int:
    """Every few minutes: queue again the jobs whose task was lost."""
    return services.requeue_stalled_jobs()
