"""Embeddings for retrieval: providers, storage and similarity search.

Public surface (everything else is internal):
- ``get_provider()`` -> provider or None (EMBEDDINGS_PROVIDER=none);
- ``episode_text(episode)``, ``episode_embedding_refresh(*, episode_id)``,
  ``embeddings_backfill(*, limit, batch_size, on_progress)``;
- ``embedding_upsert(*, namespace_id, owner_kind, owner_id, vector, model_id)``;
- ``similar_owners(*, owner_kind, vector, model_id, limit)``;
- ``semantic_episode_hits(description, *, limit)`` for the retrieval service.
"""

from __future__ import annotations

import logging

from episodes.embeddings.providers import (
    EmbeddingError,
    EmbeddingProvider,
    get_provider,
)
from episodes.embeddings.search import similar_owners
from episodes.embeddings.services import (
    embeddings_backfill,
    episode_embedding_refresh,
    episode_text,
)
from episodes.embeddings.store import embedding_upsert
from episodes.models.embedding import OwnerKind

logger = logging.getLogger(__name__)

__all__ = [
    "EmbeddingError",
    "EmbeddingProvider",
    "embedding_upsert",
    "embeddings_backfill",
    "episode_embedding_refresh",
    "episode_text",
    "get_provider",
    "semantic_episode_hits",
    "similar_owners",
]


def semantic_episode_hits(description: str, *, limit: int) -> dict[str, float] | None:
    """{episode id hex: cosine similarity 0..1} of the episodes nearest to a task description.

    None when there is no provider (EMBEDDINGS_PROVIDER=none) or it failed
    (logged): retrieval then runs in keyword mode instead of failing.
    """
    provider = get_provider()
    if provider is None or not description.strip():
        return None
    try:
        (vector,) = provider.embed([description])
    except EmbeddingError as exc:
        logger.warning("semantic retrieval skipped: %s", exc)
        return None
    hits = similar_owners(
        owner_kind=OwnerKind.EPISODE, vector=vector, model_id=provider.model_id, limit=limit
    )
    return dict(hits)
