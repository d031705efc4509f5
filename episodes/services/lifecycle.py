"""The agent's path through an episode: start → log steps (batches) → complete."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from episodes import limits, search_index
from episodes.changes import next_change_seq
from episodes.hashing import episode_hash
from episodes.learning.learn import learn_from_episode
from episodes.models import Episode, EpisodeTag, ExecutionStep
from episodes.selectors import episode_get
from episodes.services.assembly import (
    add_steps,
    close_with_outcome,
    new_episode,
    remember_redactions,
)
from episodes.services.inputs import Redactions, clean_outcome, clean_step
from episodes.services.on_commit import after_episode_change
from memoryadmin.db.rowwrite import insert_rows
from memoryadmin.exceptions import ApplicationError, Conflict, PayloadTooLarge


def _stamp(episode: Episode) -> None:
    episode.change_seq = next_change_seq()
    episode.content_hash = episode_hash(episode)


@transaction.atomic
def episode_start(
    *,
    namespace_id: int,
    task_description: str,
    task_type: str,
    context: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    started_at: datetime | None = None,
    scope: dict[str, Any] | None = None,
) -> Episode:
    """Open an episode for a task in ``namespace_id``; secrets in the input are redacted
    first. ``scope`` holds the agent's agent_id / user_id / session_id."""
    episode = new_episode(
        namespace_id=namespace_id,
        scope=scope,
        task_description=task_description,
        task_type=task_type,
        context=context,
        metadata=metadata,
        tags=tags,
        started_at=started_at or timezone.now(),
        redactions=Redactions(),
    )
    _stamp(episode)
    insert_rows([episode])
    episode._state.adding = False  # as save() leaves it: later saves update the row
    insert_rows([EpisodeTag(episode=episode, tag=t) for t in episode.tags])
    search_index.index_episode(episode)
    after_episode_change(episode.pk)
    return episode


@transaction.atomic
def episode_log_steps(
    *, episode_id: UUID | str, namespace_id: int | None, steps: list[dict[str, Any]]
) -> list[ExecutionStep]:
    """Append a batch of steps in one transaction (all or nothing)."""
    if not isinstance(steps, list) or not steps:
        raise ApplicationError("steps must be a non-empty list", extra={"field": "steps"})
    episode = episode_get(episode_id=episode_id, namespace_id=namespace_id)
    if episode.is_completed:
        raise Conflict(
            f"episode {episode.pk} is already completed; steps cannot be added",
            extra={"field": "episode_id", "verdict": episode.verdict},
        )
    if episode.step_count + len(steps) > limits.STEPS_MAX:
        raise PayloadTooLarge(
            f"steps: an episode holds at most {limits.STEPS_MAX} steps "
            f"({episode.step_count} logged, {len(steps)} more sent)",
            extra={"field": "steps", "limit": limits.STEPS_MAX},
        )
    redactions = Redactions()
    clean = [clean_step(i, raw, redactions) for i, raw in enumerate(steps)]
    batch_size = sum(limits.json_size(raw) for raw in steps)
    if episode.size_bytes + batch_size > limits.EPISODE_MAX:
        raise PayloadTooLarge(
            f"episode would hold {episode.size_bytes + batch_size} bytes; "
            f"the limit is {limits.EPISODE_MAX}",
            extra={"field": "steps", "limit": limits.EPISODE_MAX},
        )
    rows = add_steps(episode, clean, raw_size=batch_size, default_time=timezone.now())
    insert_rows(rows)
    remember_redactions(episode, redactions)
    _stamp(episode)
    episode.save(
        update_fields=[
            "steps_digest",
            "step_count",
            "size_bytes",
            "metadata",
            "change_seq",
            "content_hash",
            "updated_at",
        ]
    )
    after_episode_change(episode.pk)
    return rows


@transaction.atomic
def episode_complete(
    *,
    episode_id: UUID | str,
    namespace_id: int | None,
    outcome: dict[str, Any],
    ended_at: datetime | None = None,
) -> Episode:
    """Close an episode: reward, reflection, patterns and heuristics in one transaction
    (learning counts it in its own namespace only)."""
    episode = episode_get(episode_id=episode_id, namespace_id=namespace_id)
    if episode.is_completed:
        raise Conflict(
            f"episode {episode.pk} is already completed (verdict {episode.verdict})",
            extra={"field": "episode_id", "verdict": episode.verdict},
        )
    redactions = Redactions()
    clean = clean_outcome(outcome, redactions)
    steps = list(episode.steps.order_by("step_number"))
    close_with_outcome(episode, steps, clean, ended_at or timezone.now())
    remember_redactions(episode, redactions)
    _stamp(episode)
    episode.save()
    learn_from_episode(episode, steps)
    search_index.index_episode(episode, steps)
    after_episode_change(episode.pk, completed=True)
    return episode
