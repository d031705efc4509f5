"""Cache validation: one report per verification, one row per check."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ValidationReport(models.Model):
    run = models.ForeignKey(
        "sync.SyncRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="validations",
    )  # NULL: an on-demand verification
    full = models.BooleanField(default=False)  # every hash compared, not a sample
    passed = models.BooleanField(default=False)
    sample_size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.FloatField(default=0.0)
    summary = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["-created_at"], name="validation_created_desc")]

    def __str__(self) -> str:
        return f"validation #{self.pk} {'passed' if self.passed else 'failed'}"


class ValidationCheck(models.Model):
    report = models.ForeignKey(ValidationReport, on_delete=models.CASCADE, related_name="checks")
    name = models.CharField(max_length=60)
    passed = models.BooleanField()
    details = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["report", "position"]

    def __str__(self) -> str:
        return f"{self.name}: {'pass' if self.passed else 'FAIL'}"
