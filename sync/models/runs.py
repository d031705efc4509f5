"""One sync of the redb cache from the database (or a dry run of one)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Trigger(models.TextChoices):
    STARTUP = "startup"
    PERIODIC = "periodic"
    MANUAL = "manual"
    STALENESS = "staleness"
    RECOVERY = "recovery"
    WRITE_BEHIND = "write_behind"


class Scope(models.TextChoices):
    ALL = "all"
    EPISODES = "episodes"
    PATTERNS = "patterns"
    HEURISTICS = "heuristics"
    EMBEDDINGS = "embeddings"


class Status(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # finished; some items went to the retry queue
    FAILED = "failed"  # stopped early (error or interrupted); a later run resumes it
    SKIPPED = "skipped"  # never started: the database was unavailable


ACTIVE = (Status.QUEUED, Status.RUNNING)


class SyncRun(models.Model):
    # The resolved cache file path: at most one active run per file (see Meta).
    cache_key = models.CharField(max_length=500)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.MANUAL)
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.ALL)
    dry_run = models.BooleanField(default=False)
    force_full = models.BooleanField(default=False)
    batch_size = models.PositiveIntegerField(default=100)
    tags = models.JSONField(default=list, blank=True)  # labels of the batch, e.g. "nightly"
    exclude = models.JSONField(default=list, blank=True)  # rules such as "domain:payments"
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)

    new_count = models.PositiveIntegerField(default=0)
    modified_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    evicted_count = models.PositiveIntegerField(default=0)  # beyond MAX_EPISODES_CACHE
    removed_count = models.PositiveIntegerField(default=0)  # the source was deleted
    failed_count = models.PositiveIntegerField(default=0)
    excluded_count = models.PositiveIntegerField(default=0)  # skipped by an exclude rule
    bytes_written = models.BigIntegerField(default=0)

    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Refreshed after every batch; a running run with a stale heartbeat is abandoned.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    items_per_second = models.FloatField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)

    # Where to resume: the JSON of sync.services.checkpoint.Checkpoint ({} = none), whose
    # from_json reads every shape rows have stored (no data migration).
    checkpoint = models.JSONField(default=dict, blank=True)
    resumed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.CharField(max_length=200, blank=True, default="")  # "host:pid" executing it
    error = models.TextField(blank=True, default="")
    warnings = models.JSONField(default=list, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    report = models.JSONField(default=dict, blank=True)
    preview = models.JSONField(default=dict, blank=True)  # the dry run's diff

    class Meta:
        constraints = [
            # The one-run guard: a second active run for the same file cannot be inserted.
            models.UniqueConstraint(
                fields=["cache_key"],
                condition=Q(status__in=["queued", "running"]),
                name="sync_one_active_run_per_cache",
            )
        ]
        indexes = [
            models.Index(fields=["-queued_at"], name="syncrun_queued_desc"),
            models.Index(fields=["status", "cache_key"], name="syncrun_status_cache"),
        ]

    def __str__(self) -> str:
        return f"sync #{self.pk} {self.scope} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()
