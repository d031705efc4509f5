"""The JSON shape of episodes, patterns and heuristics: what the cache stores
and what readers get, whichever source (cache or database) served it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from episodes.models import Episode, ExecutionStep, Heuristic, Pattern
from memoryadmin.namespaces.selectors import namespace_slug_of


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def step_payload(step: ExecutionStep) -> dict[str, Any]:
    return {
        "step_number": step.step_number,
        "timestamp": _iso(step.timestamp),
        "tool": step.tool,
        "action": step.action,
        "parameters": step.parameters,
        "result": {"kind": step.result_kind, "text": step.result_text},
        "success": step.success,
        "latency_ms": step.latency_ms,
        "tokens": step.tokens,
        "observation": step.observation,
    }


def episode_payload(
    episode: Episode, steps: Iterable[ExecutionStep] | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(episode.pk),
        "namespace": namespace_slug_of(namespace_id=episode.namespace_id),
        "agent_id": episode.agent_id,
        "user_id": episode.user_id,
        "session_id": episode.session_id,
        "task_type": episode.task_type,
        "task_description": episode.task_description,
        "context": {
            "language": episode.language,
            "framework": episode.framework,
            "domain": episode.domain,
            "complexity": episode.complexity,
            "tags": episode.tags,
        },
        "tags": episode.tags,
        "metadata": episode.metadata,
        "started_at": _iso(episode.started_at),
        "ended_at": _iso(episode.ended_at),
        "step_count": episode.step_count,
        "outcome": episode.outcome,
        "verdict": episode.verdict,
        "reward": episode.reward,
        "reflection": episode.reflection,
        "archived_at": _iso(episode.archived_at),
        "content_hash": episode.content_hash,
        "change_seq": episode.change_seq,
    }
    if steps is not None:
        payload["steps"] = [step_payload(s) for s in steps]
    return payload


def pattern_payload(pattern: Pattern) -> dict[str, Any]:
    return {
        "id": pattern.pk,
        "kind": pattern.kind,
        "description": pattern.description,
        "data": pattern.data,
        "task_type": pattern.task_type,
        "domain": pattern.domain,
        "occurrence_count": pattern.occurrence_count,
        "success_count": pattern.success_count,
        "success_rate": pattern.success_rate,
        "effectiveness": {
            "times_retrieved": pattern.times_retrieved,
            "times_applied": pattern.times_applied,
            "applied_success_count": pattern.applied_success_count,
        },
        "content_hash": pattern.content_hash,
        "updated_at": _iso(pattern.updated_at),
    }


def heuristic_payload(heuristic: Heuristic) -> dict[str, Any]:
    return {
        "id": heuristic.pk,
        "condition": heuristic.condition,
        "action": heuristic.action,
        "condition_data": heuristic.condition_data,
        "confidence": heuristic.confidence,
        "evidence": {
            "success_rate": heuristic.success_rate,
            "sample_size": heuristic.sample_size,
            "success_count": heuristic.success_count,
        },
        "content_hash": heuristic.content_hash,
        "created_at": _iso(heuristic.created_at),
        "updated_at": _iso(heuristic.updated_at),
    }
