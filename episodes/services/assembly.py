"""The in-memory half of each episode write: validated rows with their sizes,
digests, reward and reflection, before anything touches the database.

The services (lifecycle.py) and the bulk seeder (seed_bulk) both build rows
here, so both leave exactly the same content behind (same hashes, digests and
markers); only how the rows are written differs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from episodes import limits
from episodes.hashing import chain_steps, step_fields
from episodes.learning.reflection import build_reflection
from episodes.learning.reward import compute_reward
from episodes.models import Episode, ExecutionStep
from episodes.models.episode import SCOPE_FIELDS, Complexity, TaskType
from episodes.services.inputs import (
    REDACTIONS_KEY,
    CleanStep,
    Redactions,
    agent_metadata,
    as_text,
    choice,
    redaction_count,
)
from memoryadmin.exceptions import ApplicationError


def remember_redactions(episode: Episode, redactions: Redactions) -> None:
    """Add this write's redaction count to the episode's metadata (ours alone to write:
    a stored value that is not a positive integer is replaced, or dropped if none)."""
    stored = episode.metadata.get(REDACTIONS_KEY)
    total = redaction_count(episode.metadata) + redactions.count
    if (type(stored) is int and stored == total) or (stored is None and not total):
        return
    metadata = dict(episode.metadata)
    metadata.pop(REDACTIONS_KEY, None)
    if total:
        metadata[REDACTIONS_KEY] = total
    episode.metadata = metadata


def _context_text(field_name: str, value: Any, redactions: Redactions) -> str:
    """context.language / framework / domain: redacted before they are lowercased."""
    text = as_text(field_name, value, limits.CONTEXT_TEXT_MAX).strip()
    return redactions.label(text, limits.CONTEXT_TEXT_MAX).lower()


SCOPE_MAX = 128


def scope_values(scope: Any, redactions: Redactions) -> dict[str, str]:
    """agent_id / user_id / session_id as stored: text of at most 128 characters, redacted."""
    scope = scope or {}
    if not isinstance(scope, dict):
        raise ApplicationError("scope must be an object", extra={"field": "scope"})
    values = {}
    for name in SCOPE_FIELDS:
        text = as_text(name, scope.get(name) or "", SCOPE_MAX).strip()
        values[name] = redactions.text(text) if text else ""
    return values


def new_episode(
    *,
    namespace_id: int,
    scope: Any = None,
    task_description: Any,
    task_type: Any,
    context: Any,
    metadata: Any,
    tags: list[str] | None,
    started_at: datetime,
    redactions: Redactions,
) -> Episode:
    """A validated, redacted, unsaved Episode (no change marker yet)."""
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
    all_tags = limits.check_tags(
        "context.tags",
        list(context.get("tags") or []) + list(tags or []),
        clean=redactions.tag,
    )
    episode = Episode(
        namespace_id=namespace_id,
        **scope_values(scope, redactions),
        task_type=choice("task_type", task_type, TaskType),
        task_description=redactions.text(description.strip()),
        language=_context_text("context.language", context.get("language"), redactions),
        framework=_context_text("context.framework", context.get("framework"), redactions),
        domain=_context_text("context.domain", context.get("domain"), redactions),
        complexity=choice(
            "context.complexity", context.get("complexity") or "moderate", Complexity
        ),
        tags=all_tags,
        metadata=agent_metadata(metadata, redactions),
        started_at=started_at,
        size_bytes=size,
    )
    remember_redactions(episode, redactions)
    return episode


def add_steps(
    episode: Episode,
    clean: Sequence[CleanStep],
    *,
    raw_size: int,
    default_time: datetime,
    make: Callable[..., Any] = ExecutionStep,
) -> list[ExecutionStep]:
    """Step rows numbered after the episode's last, with its digest, count and size advanced.

    ``make`` builds each row (the bulk seeder passes a lighter record type).
    """
    rows = [
        make(
            episode_id=episode.pk,
            step_number=episode.step_count + i + 1,
            timestamp=step.timestamp or default_time,
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
    episode.steps_digest = chain_steps(episode.steps_digest, (step_fields(r) for r in rows))
    episode.step_count += len(rows)
    episode.size_bytes += raw_size
    return rows


def close_with_outcome(
    episode: Episode, steps: Sequence[ExecutionStep], clean: dict[str, Any], ended_at: datetime
) -> None:
    """Set outcome, verdict, end time, reward and reflection of a completing episode."""
    episode.outcome = clean
    episode.verdict = clean["kind"]
    episode.ended_at = max(ended_at, episode.started_at)
    reward = compute_reward(episode, steps)
    episode.reward = reward.as_dict()
    episode.reward_total = reward.total
    episode.reflection = build_reflection(episode, steps, reward)
    episode.size_bytes += limits.json_size(clean)
