"""The agent's path through an episode: start → log steps (batches) → complete."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from episodes import limits, search_index
from episodes.changes import next_change_seq
from episodes.hashing import chain_steps, episode_hash, step_fields
from episodes.learning import learn_from_episode
from episodes.learning.reflection import build_reflection
from episodes.learning.reward import compute_reward
from episodes.models import Episode, EpisodeTag, ExecutionStep
from episodes.models.episode import Complexity, TaskType
from episodes.services.inputs import (
    Redactions,
    as_text,
    choice,
    clean_outcome,
    clean_step,
)
from episodes.services.loading import episode_for_update
from episodes.services.on_commit import after_episode_change
from memoryadmin.exceptions import ApplicationError, Conflict, PayloadTooLarge


def _remember_redactions(episode: Episode, redactions: Redactions) -> None:
    if redactions.count:
        metadata = dict(episode.metadata)
        metadata["redactions"] = int(metadata.get("redactions", 0)) + redactions.count
        episode.metadata = metadata


def _stamp(episode: Episode) -> None:
    episode.change_seq = next_change_seq()
    episode.content_hash = episode_hash(episode)


@transaction.atomic
def episode_start(
    *,
    task_description: str,
    task_type: str,
    context: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    started_at: datetime | None = None,
) -> Episode:
    """Open an episode for a task; secrets in the input are redacted first."""
    redactions = Redactions()
    description = as_text(
        "task_description", task_description, limits.DESCRIPTION_MAX, required=True
    )
    context = context or {}
    if not isinstance(context, dict):
        raise ApplicationError("context must be an object", extra={"field": "context"})
    metadata = metadata or {}
    if not isinstance(metadata, dict):
        raise ApplicationError("metadata must be an object", extra={"field": "metadata"})
    size = limits.check_json("metadata", metadata) + limits.text_size(description)
    all_tags = limits.check_tags("context.tags", list(context.get("tags") or []) + list(tags or []))
    episode = Episode(
        task_type=choice("task_type", task_type, TaskType),
        task_description=redactions.text(description.strip()),
        language=as_text("context.language", context.get("language"), 60).strip().lower(),
        framework=as_text("context.framework", context.get("framework"), 60).strip().lower(),
        domain=as_text("context.domain", context.get("domain"), 60).strip().lower(),
        complexity=choice(
            "context.complexity", context.get("complexity") or "moderate", Complexity
        ),
        tags=all_tags,
        metadata=redactions.value(metadata),
        started_at=started_at or timezone.now(),
        size_bytes=size,
    )
    _remember_redactions(episode, redactions)
    _stamp(episode)
    episode.save(force_insert=True)
    EpisodeTag.objects.bulk_create([EpisodeTag(episode=episode, tag=t) for t in all_tags])
    search_index.index_episode(episode)
    after_episode_change(episode.pk)
    return episode


@transaction.atomic
def episode_log_steps(
    *, episode_id: UUID | str, steps: list[dict[str, Any]]
) -> list[ExecutionStep]:
    """Append a batch of steps in one transaction (all or nothing)."""
    if not isinstance(steps, list) or not steps:
        raise ApplicationError("steps must be a non-empty list", extra={"field": "steps"})
    episode = episode_for_update(episode_id)
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
    now = timezone.now()
    rows = [
        ExecutionStep(
            episode=episode,
            step_number=episode.step_count + i + 1,
            timestamp=step.timestamp or now,
            tool=step.tool,
            action=step.action,
            parameters=step.parameters,
            result_kind=step.result_kind,
            result_text=step.result_text,
            success=step.success,
            latency_ms=step.latency_ms,
            tokens=step.tokens,
            observation=step.observation,
        )
        for i, step in enumerate(clean)
    ]
    ExecutionStep.objects.bulk_create(rows)
    episode.steps_digest = chain_steps(episode.steps_digest, (step_fields(r) for r in rows))
    episode.step_count += len(rows)
    episode.size_bytes += batch_size
    _remember_redactions(episode, redactions)
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
    *, episode_id: UUID | str, outcome: dict[str, Any], ended_at: datetime | None = None
) -> Episode:
    """Close an episode: reward, reflection, patterns and heuristics in one transaction."""
    episode = episode_for_update(episode_id)
    if episode.is_completed:
        raise Conflict(
            f"episode {episode.pk} is already completed (verdict {episode.verdict})",
            extra={"field": "episode_id", "verdict": episode.verdict},
        )
    redactions = Redactions()
    clean = clean_outcome(outcome, redactions)
    steps = list(episode.steps.order_by("step_number"))
    episode.outcome = clean
    episode.verdict = clean["kind"]
    episode.ended_at = max(ended_at or timezone.now(), episode.started_at)
    reward = compute_reward(episode, steps)
    episode.reward = reward.as_dict()
    episode.reward_total = reward.total
    episode.reflection = build_reflection(episode, steps, reward)
    episode.size_bytes += limits.json_size(clean)
    _remember_redactions(episode, redactions)
    _stamp(episode)
    episode.save()
    learn_from_episode(episode, steps)
    search_index.index_episode(episode, steps)
    after_episode_change(episode.pk, completed=True)
    return episode
