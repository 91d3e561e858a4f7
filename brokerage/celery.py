"""The Celery app. Configuration comes from Django settings (CELERY_ prefix)."""

import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")

app = Celery("brokerage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Run when beat starts, not only at their next slot: a beat recreated (or down a while)
# would otherwise wait up to an hour before it checks the payment deadlines again.
ON_BEAT_START = ["invoicing.tasks.check_invoice_deadlines"]


@beat_init.connect
def run_checks_at_beat_start(sender, **kwargs):
    for task in ON_BEAT_START:
        sender.app.send_task(task)
