"""The what-if job: a few lines, taking an id, safe to run twice (the claim is guarded)."""

from celery import shared_task
from django.conf import settings

from . import services

# The worker's time limit, which Redis's visibility timeout is matched to, is set for
# this task: a 12-week replay takes minutes.
TIME_LIMIT_SECONDS = settings.CELERY_TASK_TIME_LIMIT


@shared_task(time_limit=TIME_LIMIT_SECONDS, soft_time_limit=TIME_LIMIT_SECONDS - 60)
def run_simulation(simulation_id: int) -> bool:
    """Replay a queued simulation; answers False when another run had claimed it."""
    return services.run_simulation(simulation_id=simulation_id)


@shared_task
def requeue_simulations() -> int:
    """Every few minutes: queue again the simulations whose job was lost on its way."""
    return services.requeue_lost_simulations()
