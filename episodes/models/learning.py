"""What the system learns from completed episodes: patterns and heuristics."""

from __future__ import annotations

from django.db import models

from episodes.models.episode import Episode


class PatternKind(models.TextChoices):
    TOOL_SEQUENCE = "tool_sequence"
    DECISION_POINT = "decision_point"
    ERROR_RECOVERY = "error_recovery"
    CONTEXT_PATTERN = "context_pattern"


class Pattern(models.Model):
    # Learned from its own namespace's episodes only, counted there only.
    namespace = models.ForeignKey(
        "memoryadmin.Namespace", on_delete=models.PROTECT, related_name="patterns"
    )
    kind = models.CharField(max_length=20, choices=PatternKind.choices)
    # A stable signature of `data` (e.g. the tool sequence); the same
    # signature merges into one row instead of duplicating.
    signature = models.CharField(max_length=64)
    description = models.TextField()
    data = models.JSONField(default=dict)
    task_type = models.CharField(max_length=20, blank=True, default="")
    domain = models.CharField(max_length=60, blank=True, default="")
    occurrence_count = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    success_rate = models.FloatField(default=0.0)
    times_retrieved = models.PositiveIntegerField(default=0)
    times_applied = models.PositiveIntegerField(default=0)
    applied_success_count = models.PositiveIntegerField(default=0)
    evidence = models.ManyToManyField(Episode, related_name="patterns", blank=True)
    content_hash = models.CharField(max_length=64, blank=True, default="")
    change_seq = models.BigIntegerField(default=0, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["namespace", "kind", "signature"], name="pattern_signature_unique"
            )
        ]
        indexes = [
            models.Index(fields=["namespace", "kind", "-success_rate"], name="pattern_kind_rate"),
            models.Index(fields=["namespace", "task_type"], name="pattern_ns_task_type"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.description[:60]}"


class Heuristic(models.Model):
    namespace = models.ForeignKey(
        "memoryadmin.Namespace", on_delete=models.PROTECT, related_name="heuristics"
    )
    signature = models.CharField(max_length=64)
    condition = models.TextField()
    action = models.TextField()
    condition_data = models.JSONField(default=dict)
    confidence = models.FloatField(default=0.0)
    success_count = models.PositiveIntegerField(default=0)
    sample_size = models.PositiveIntegerField(default=0)
    success_rate = models.FloatField(default=0.0)
    evidence = models.ManyToManyField(Episode, related_name="heuristics", blank=True)
    content_hash = models.CharField(max_length=64, blank=True, default="")
    change_seq = models.BigIntegerField(default=0, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["namespace", "signature"], name="heuristic_signature_unique"
            )
        ]
        indexes = [models.Index(fields=["namespace", "-confidence"], name="heuristic_confidence")]

    def __str__(self) -> str:
        return f"if {self.condition[:40]} then {self.action[:40]}"
