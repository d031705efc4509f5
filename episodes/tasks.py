"""django-q2 tasks of the episodes app: thin, ids in, one service call."""

from __future__ import annotations

from episodes.embeddings.services import episode_embedding_refresh
from episodes.services.usage import pattern_retrievals_add


def episode_embed(episode_id: str) -> str | None:
    """Embed one episode after completion; returns the model id used, or None if skipped."""
    embedding = episode_embedding_refresh(episode_id=episode_id)
    return embedding.model_id if embedding is not None else None


def pattern_retrievals_add_task(counts: dict[int, int]) -> int:
    """Add one process's aggregated retrieval counts; returns the patterns updated."""
    return pattern_retrievals_add(counts=counts)
