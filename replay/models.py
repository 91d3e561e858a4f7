"""A what-if simulation: a past period's referrals replayed with settings a commissioner tries."""

from django.conf import settings
from django.db import models


class SimulationStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Simulation(models.Model):
    """A commissioner's question: what if these zones had had these settings in that period?

    States: queued (the job is on its way to a worker) -> running (`progress`
    from 0 to 100) -> done (`results` holds the predicted and the actual time
    to fill) or failed (`error` says why). The referrals are the period's real
    ones; each provider answers as its own offers of the period were answered,
    drawn with `seed`, `runs` times over.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="simulations"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    zones = models.JSONField(default=list, help_text="Zone codes; empty: every zone.")
    settings = models.JSONField(default=dict, help_text='{"ZONE-CODE": {zone fields}}')
    seed = models.PositiveIntegerField(default=1)
    runs = models.PositiveSmallIntegerField(default=3)
    status = models.CharField(
        max_length=10, choices=SimulationStatus.choices, default=SimulationStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    results = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="simulation_by_user"),
            models.Index(fields=["status", "created_at"], name="simulation_status"),
        ]
        constraints = [
            models.CheckConstraint(
                name="simulation_status_valid",
                condition=models.Q(status__in=SimulationStatus.values),
            ),
            models.CheckConstraint(
                name="simulation_progress_percent", condition=models.Q(progress__lte=100)
            ),
            models.CheckConstraint(
                name="simulation_period_in_order",
                condition=models.Q(period_end__gte=models.F("period_start")),
            ),
            models.CheckConstraint(
                name="simulation_runs_between_1_and_10",
                condition=models.Q(runs__gte=1, runs__lte=10),
            ),
            models.CheckConstraint(
                name="simulation_done_has_results",
                condition=~models.Q(status="done") | models.Q(results__isnull=False),
            ),
        ]

    def __str__(self):
        return f"Simulation {self.pk} ({self.period_start} to {self.period_end})"

    @property
    def finished(self) -> bool:
        return self.status in (SimulationStatus.DONE, SimulationStatus.FAILED)
