"""Operator and agent edits of existing episodes: tags, metadata, archive, soft delete."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from episodes import limits
from episodes.changes import next_change_seq
from episodes.hashing import episode_hash
from episodes.models import Episode, EpisodeTag
from episodes.selectors import episode_get
from episodes.services.assembly import remember_redactions
from episodes.services.inputs import Redactions, agent_metadata
from episodes.services.on_commit import after_episode_change
from memoryadmin.audit.services import audit_record
from memoryadmin.exceptions import ApplicationError

MAX_BULK = 10_000


def _save(episode: Episode, fields: list[str]) -> None:
    episode.change_seq = next_change_seq()
    episode.content_hash = episode_hash(episode)
    episode.save(update_fields=[*fields, "change_seq", "content_hash", "updated_at"])
    after_episode_change(episode.pk)


def _set_tags(episode: Episode, tags: list[str]) -> None:
    episode.tags = tags
    EpisodeTag.objects.filter(episode=episode).exclude(tag__in=tags).delete()
    existing = set(EpisodeTag.objects.filter(episode=episode).values_list("tag", flat=True))
    EpisodeTag.objects.bulk_create(
        [EpisodeTag(episode=episode, tag=t) for t in tags if t not in existing]
    )


@transaction.atomic
def episode_update(
    *,
    episode_id: UUID | str,
    namespace_id: int | None,
    tags: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Episode:
    """Replace the tags and/or merge keys into the metadata (``None`` values remove keys)."""
    episode = episode_get(episode_id=episode_id, namespace_id=namespace_id)
    fields: list[str] = []
    redactions = Redactions()
    if tags is not None:
        _set_tags(episode, limits.check_tags("tags", tags, clean=redactions.tag))
        fields.append("tags")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise ApplicationError("metadata must be an object", extra={"field": "metadata"})
        # The agent's "redactions" is dropped (it can neither set nor remove our count).
        merged = {**episode.metadata, **agent_metadata(metadata, redactions)}
        episode.metadata = {k: v for k, v in merged.items() if v is not None}
    if redactions.count or metadata is not None:
        remember_redactions(episode, redactions)
        limits.check_json("metadata", episode.metadata)
        fields.append("metadata")
    if fields:
        _save(episode, fields)
    return episode


@transaction.atomic
def episode_soft_delete(
    *, episode_id: UUID | str, namespace_id: int | None, user: Any = None
) -> Episode:
    """Hide an episode everywhere (kept in the database with who and when)."""
    episode = episode_get(episode_id=episode_id, namespace_id=namespace_id)
    episode.deleted_at = timezone.now()
    episode.deleted_by = user if user is not None and user.is_authenticated else None  # type: ignore[assignment]
    _save(episode, ["deleted_at", "deleted_by"])
    audit_record(
        action="episode.delete",
        target=f"episode {episode.pk}",
        user=user,
        details={"task": episode.task_description[:120]},
        namespace_id=episode.namespace_id,
    )
    return episode


@transaction.atomic
def episode_archive(
    *, episode_id: UUID | str, namespace_id: int | None, user: Any = None
) -> Episode:
    episode = episode_get(episode_id=episode_id, namespace_id=namespace_id)
    if episode.archived_at is None:
        episode.archived_at = timezone.now()
        episode.archived_by = user if user is not None and user.is_authenticated else None  # type: ignore[assignment]
        _save(episode, ["archived_at", "archived_by"])
    return episode


def _bulk_ids(episode_ids: Sequence[UUID | str], namespace_id: int | None) -> list[Episode]:
    if len(episode_ids) > MAX_BULK:
        raise ApplicationError(
            f"at most {MAX_BULK} episodes per bulk action", extra={"field": "episode_ids"}
        )
    qs = Episode.objects.filter(pk__in=episode_ids, deleted_at__isnull=True)
    if namespace_id is not None:
        qs = qs.filter(namespace_id=namespace_id)
    return list(qs)


@transaction.atomic
def episodes_bulk_tag(
    *, episode_ids: Sequence[UUID | str], namespace_id: int | None, add: list[str]
) -> int:
    """Add tags to many episodes; returns how many episodes really changed."""
    redactions = Redactions()
    new_tags = limits.check_tags("tags", add, clean=redactions.tag)
    changed = 0
    for episode in _bulk_ids(episode_ids, namespace_id):
        # Stored tags and new_tags are redacted already: str leaves them as they are.
        merged = limits.check_tags("tags", [*episode.tags, *new_tags], clean=str)
        if merged != episode.tags:
            _set_tags(episode, merged)
            fields = ["tags"]
            if redactions.count:
                remember_redactions(episode, redactions)
                fields.append("metadata")
            _save(episode, fields)
            changed += 1
    return changed


@transaction.atomic
def episodes_bulk_archive(
    *, episode_ids: Sequence[UUID | str], namespace_id: int | None, user: Any = None
) -> int:
    changed = 0
    for episode in _bulk_ids(episode_ids, namespace_id):
        if episode.archived_at is None:
            episode_archive(episode_id=episode.pk, namespace_id=episode.namespace_id, user=user)
            changed += 1
    return changed


@transaction.atomic
def episodes_bulk_delete(
    *, episode_ids: Sequence[UUID | str], namespace_id: int | None, user: Any = None
) -> int:
    episodes = _bulk_ids(episode_ids, namespace_id)
    for episode in episodes:
        episode_soft_delete(episode_id=episode.pk, namespace_id=episode.namespace_id, user=user)
    return len(episodes)
