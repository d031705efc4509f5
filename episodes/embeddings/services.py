"""Embedding episodes: the text that stands for an episode, refresh one, backfill many."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction

from episodes.embeddings.providers import EmbeddingProvider, get_provider
from episodes.embeddings.store import embedding_upsert
from episodes.models import Embedding, Episode
from episodes.models.embedding import OwnerKind
from memoryadmin.exceptions import ApplicationError

logger = logging.getLogger(__name__)

TEXT_MAX_CHARS = 4000  # the model reads 256 tokens (~1,000 characters); the rest is cut anyway


def _words(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value if v)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items() if v)
    return str(value or "").strip()


def episode_text(episode: Episode) -> str:
    """Description first (it dominates the vector), then context, outcome and lessons.

    Reflection "successes" are left out: they are templates ("Completed the
    debugging task in 5 steps") shared by most episodes and would pull every
    vector towards the same point.
    """
    parts = [episode.task_description.strip()]
    context = [episode.task_type.replace("_", " ")]
    context += [v for v in (episode.language, episode.framework, episode.domain) if v]
    line = "Context: " + ", ".join(context)
    if episode.tags:
        line += ". Tags: " + ", ".join(str(t) for t in episode.tags)
    parts.append(line)
    outcome = episode.outcome or {}
    if outcome.get("kind"):
        said = [
            _words(outcome.get(name))
            for name in ("verdict", "reason", "completed", "failed", "error_details")
        ]
        parts.append(f"Outcome: {outcome['kind']}. " + " ".join(s for s in said if s))
    reflection = episode.reflection or {}
    lessons = [*reflection.get("insights", []), *reflection.get("improvements", [])]
    if lessons:
        parts.append("Lessons: " + " ".join(str(lesson) for lesson in lessons[:4]))
    return "\n".join(p for p in parts if p)[:TEXT_MAX_CHARS]


def episode_embedding_refresh(*, episode_id: UUID | str) -> Embedding | None:
    """Embed one episode with the configured provider; None when there is nothing to do.

    Nothing to do: provider "none", or the episode is gone or soft-deleted.
    The provider runs outside any transaction (it may be an HTTP call).
    """
    provider = get_provider()
    if provider is None:
        return None
    episode = Episode.objects.filter(pk=episode_id, deleted_at__isnull=True).first()
    if episode is None:
        logger.info("episode %s is gone or deleted; not embedded", episode_id)
        return None
    (vector,) = provider.embed([episode_text(episode)])
    return embedding_upsert(
        namespace_id=episode.namespace_id,
        owner_kind=OwnerKind.EPISODE,
        owner_id=episode.pk,
        vector=vector,
        model_id=provider.model_id,
        dimension=provider.dimension,
    )


@dataclass
class BackfillResult:
    model_id: str
    total: int
    embedded: int


def episodes_missing_embedding(model_id: str) -> Any:
    """Completed, not deleted episodes with no vector for ``model_id``, oldest first."""
    embedded = Embedding.objects.filter(owner_kind=OwnerKind.EPISODE, model_id=model_id)
    return (
        Episode.objects.filter(verdict__isnull=False, deleted_at__isnull=True)
        .exclude(pk__in=embedded.values("owner_id"))
        .order_by("pk")
    )


def embeddings_backfill(
    *,
    limit: int | None = None,
    batch_size: int = 64,
    on_progress: Callable[[int, int], None] | None = None,
    provider: EmbeddingProvider | None = None,
) -> BackfillResult:
    """Embed completed episodes that have no vector for the current model, in batches.

    Idempotent: episodes already embedded with this model id are skipped, so
    an interrupted run resumes where it stopped. ``on_progress(done, total)``
    is called after each batch.
    """
    provider = provider or get_provider()
    if provider is None:
        raise ApplicationError("EMBEDDINGS_PROVIDER is none: there is no model to embed with")
    if batch_size < 1 or (limit is not None and limit < 0):
        raise ApplicationError("batch size must be positive and limit not negative")
    pending = episodes_missing_embedding(provider.model_id)
    total = pending.count() if limit is None else min(limit, pending.count())
    done, after = 0, None
    while done < total:
        page = pending if after is None else pending.filter(pk__gt=after)
        batch = list(page[: min(batch_size, total - done)])
        if not batch:
            break
        vectors = provider.embed([episode_text(e) for e in batch])
        with transaction.atomic():
            for episode, vector in zip(batch, vectors, strict=True):
                embedding_upsert(
                    namespace_id=episode.namespace_id,
                    owner_kind=OwnerKind.EPISODE,
                    owner_id=episode.pk,
                    vector=vector,
                    model_id=provider.model_id,
                    dimension=provider.dimension,
                )
        done += len(batch)
        after = batch[-1].pk
        if on_progress is not None:
            on_progress(done, total)
    return BackfillResult(model_id=provider.model_id, total=total, embedded=done)
