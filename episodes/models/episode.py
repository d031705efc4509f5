"""Episodes and their execution steps: what an agent did for one task."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class TaskType(models.TextChoices):
    CODE_GENERATION = "code_generation"
    DEBUGGING = "debugging"
    REFACTORING = "refactoring"
    TESTING = "testing"
    ANALYSIS = "analysis"
    DOCUMENTATION = "documentation"
    OTHER = "other"


class Complexity(models.TextChoices):
    SIMPLE = "simple"
    MODERATE = "moderate"
    COMPLEX = "complex"


class Verdict(models.TextChoices):
    """The outcome kind; the agent's own words stay in ``outcome``."""

    SUCCESS = "success"
    PARTIAL_SUCCESS = "partial_success"
    FAILURE = "failure"
    ABSTAINED = "abstained"


class ResultKind(models.TextChoices):
    SUCCESS = "success"
    ERROR = "error"
    TIMEOUT = "timeout"


class ChangeCounter(models.Model):
    """One row per name holding the last change marker handed out.

    Markers are taken inside the writing transaction (``UPDATE .. RETURNING``)
    and SQLite serialises writers, so they increase in commit order: the sync
    engine reads "everything changed after marker N" without missing a row.
    """

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


# The soft scoping fields of an episode inside its namespace (filters, retrieve's scope).
SCOPE_FIELDS = ("agent_id", "user_id", "session_id")


class Episode(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The hard boundary: nothing of one namespace is read, learned from or cached
    # under another's name (memoryadmin/namespaces).
    namespace = models.ForeignKey(
        "memoryadmin.Namespace", on_delete=models.PROTECT, related_name="episodes"
    )
    # Soft scoping inside a namespace, as the agent sends them ("" when not sent).
    agent_id = models.CharField(max_length=128, blank=True, default="")
    user_id = models.CharField(max_length=128, blank=True, default="")
    session_id = models.CharField(max_length=128, blank=True, default="")
    task_type = models.CharField(max_length=20, choices=TaskType.choices)
    task_description = models.TextField()
    # The context the task ran in (language, framework, domain, complexity);
    # context tags are kept in `tags` and EpisodeTag.
    language = models.CharField(max_length=60, blank=True, default="")
    framework = models.CharField(max_length=60, blank=True, default="")
    domain = models.CharField(max_length=60, blank=True, default="")
    complexity = models.CharField(
        max_length=10, choices=Complexity.choices, default=Complexity.MODERATE
    )
    tags = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    step_count = models.PositiveIntegerField(default=0)
    # Bytes of JSON the episode holds (description, steps, outcome), for the 10 MB limit.
    size_bytes = models.PositiveIntegerField(default=0)

    outcome = models.JSONField(null=True, blank=True)
    # NULL (not "") while the episode runs: "no verdict yet" is distinct from any verdict.
    verdict = models.CharField(  # noqa: DJ001
        max_length=20, choices=Verdict.choices, null=True, blank=True
    )
    reward_total = models.FloatField(null=True, blank=True)
    reward = models.JSONField(null=True, blank=True)
    reflection = models.JSONField(null=True, blank=True)

    # Rolling SHA-256 over the steps in order (updated per batch, O(batch)),
    # so the content hash never has to re-read every step.
    steps_digest = models.CharField(max_length=64, blank=True, default="")
    content_hash = models.CharField(max_length=64, blank=True, default="")
    change_seq = models.BigIntegerField(default=0, db_index=True)

    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["task_type"], name="episode_task_type"),
            models.Index(fields=["namespace", "-started_at", "id"], name="episode_ns_started_desc"),
            models.Index(fields=["verdict"], name="episode_verdict"),
            models.Index(fields=["domain"], name="episode_domain"),
            # The newest episodes of one task type: the list filtered by type (272 ms
            # at 1,000,000 without it) and retrieval's context candidates. Not a
            # partial index: SQLite would pick one "WHERE deleted_at IS NULL" for the
            # unfiltered list too, and sort all its rows (77 ms instead of 7 ms).
            models.Index(
                fields=["namespace", "task_type", "-started_at", "-id"], name="episode_type_recent"
            ),
            models.Index(fields=["namespace", "agent_id", "-started_at"], name="episode_ns_agent"),
            models.Index(fields=["namespace", "user_id", "-started_at"], name="episode_ns_user"),
            models.Index(
                fields=["namespace", "session_id", "-started_at"], name="episode_ns_session"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_type}: {self.task_description[:60]}"

    @property
    def is_completed(self) -> bool:
        return self.verdict is not None


class EpisodeTag(models.Model):
    """Tags in their own indexed table so "episodes tagged X" stays fast."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="tag_rows")
    tag = models.CharField(max_length=60)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["episode", "tag"], name="episode_tag_unique")
        ]
        indexes = [models.Index(fields=["tag", "episode"], name="episode_tag_lookup")]

    def __str__(self) -> str:
        return self.tag


class ExecutionStep(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="steps")
    step_number = models.PositiveIntegerField()
    timestamp = models.DateTimeField(default=timezone.now)
    tool = models.CharField(max_length=100)
    action = models.TextField()
    parameters = models.JSONField(default=dict, blank=True)
    result_kind = models.CharField(max_length=10, choices=ResultKind.choices)
    result_text = models.TextField(blank=True, default="")
    success = models.BooleanField()
    latency_ms = models.PositiveIntegerField(default=0)
    tokens = models.PositiveIntegerField(default=0)
    observation = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["episode", "step_number"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "step_number"], name="step_number_unique")
        ]

    def __str__(self) -> str:
        return f"#{self.step_number} {self.tool}"
