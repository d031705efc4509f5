"""Embedding vectors of episodes and patterns (owned by the embeddings work)."""

from __future__ import annotations

from django.db import models


class OwnerKind(models.TextChoices):
    EPISODE = "episode"
    PATTERN = "pattern"


class Embedding(models.Model):
    namespace = models.ForeignKey(
        "memoryadmin.Namespace", on_delete=models.PROTECT, related_name="embeddings"
    )
    owner_kind = models.CharField(max_length=10, choices=OwnerKind.choices)
    owner_id = models.CharField(max_length=64)
    model_id = models.CharField(max_length=120)
    dimension = models.PositiveIntegerField()
    # Raw little-endian float32 bytes (libSQL F32_BLOB layout).
    vector = models.BinaryField()
    change_seq = models.BigIntegerField(default=0, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_kind", "owner_id", "model_id"], name="embedding_owner_model_unique"
            )
        ]
        # Serves the search's freshness probe: max(change_seq) per (kind, model)
        # and "rows since marker N" without touching the vectors.
        indexes = [
            models.Index(
                fields=["owner_kind", "model_id", "change_seq"], name="embedding_kind_model_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_kind}:{self.owner_id} ({self.model_id})"
