"""django-q2 tasks of the episodes app: thin, ids in, one service call."""

from __future__ import annotations

from episodes.embeddings.services import episode_embedding_refresh


def episode_embed(episode_id: str) -> str | None:
    """Embed one episode after completion; returns the model id used, or None if skipped."""
    embedding = episode_embedding_refresh(episode_id=episode_id)
    return embedding.model_id if embedding is not None else None
