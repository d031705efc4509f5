"""The retry queue: items a run could not write to the cache."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ItemKind(models.TextChoices):
    EPISODE = "episode"
    PATTERN = "pattern"
    HEURISTIC = "heuristic"
    EMBEDDING = "embedding"


class FailedState(models.TextChoices):
    PENDING = "pending"  # waits for next_attempt_at
    RETRYING = "retrying"  # an attempt is in progress
    DEAD_LETTER = "dead_letter"  # gave up after the maximum attempts; an operator decides
    RESOLVED = "resolved"  # a later write succeeded
    DISMISSED = "dismissed"  # an operator closed it


OPEN_STATES = (FailedState.PENDING, FailedState.RETRYING, FailedState.DEAD_LETTER)


class FailedItem(models.Model):
    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    key = models.CharField(max_length=300)  # the cache key
    content_hash = models.CharField(max_length=64, blank=True, default="")
    error_class = models.CharField(max_length=120)
    error_message = models.TextField()
    remediation = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=1)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=12, choices=FailedState.choices, default=FailedState.PENDING
    )
    run = models.ForeignKey(
        "sync.SyncRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="failures"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            # One open record per item: a repeated failure counts into it.
            models.UniqueConstraint(
                fields=["kind", "key"],
                condition=Q(state__in=["pending", "retrying", "dead_letter"]),
                name="sync_one_open_failure_per_item",
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="failed_due")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} ({self.state}, {self.attempts} attempts)"
