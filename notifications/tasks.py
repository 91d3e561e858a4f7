"""Notification emails, sent by a worker once the transaction that made them commits."""

from celery import shared_task

from . import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_emails(notification_ids: list[int]) -> int:
    return services.send_emails(notification_ids)


@shared_task
def send_unsent_notification_emails() -> int:
    """Every few minutes: the emails whose task was lost or never queued."""
    return services.send_unsent_emails()
