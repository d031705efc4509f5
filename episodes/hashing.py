"""Content hashes: what the sync engine compares to know an item changed.

The hash covers an episode's content fields plus a rolling digest of its
steps (chained per step in order), so appending a batch of steps costs
O(batch) and the hash never needs every step re-read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from episodes.models import Episode, ExecutionStep

HASH_VERSION = 1


def canonical(value: Any) -> bytes:
    """Stable JSON bytes: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def chain_steps(previous: str, steps: Iterable[dict[str, Any]]) -> str:
    digest = previous
    for step in steps:
        digest = hashlib.sha256(digest.encode("ascii") + canonical(step)).hexdigest()
    return digest


def step_fields(step: ExecutionStep) -> dict[str, Any]:
    return {
        "n": step.step_number,
        "at": step.timestamp.isoformat(),
        "tool": step.tool,
        "action": step.action,
        "parameters": step.parameters,
        "result": [step.result_kind, step.result_text],
        "success": step.success,
        "latency_ms": step.latency_ms,
        "tokens": step.tokens,
        "observation": step.observation,
    }


EPISODE_HASHED_FIELDS = (
    "task_type",
    "task_description",
    "language",
    "framework",
    "domain",
    "complexity",
    "tags",
    "metadata",
    "started_at",
    "ended_at",
    "step_count",
    "outcome",
    "verdict",
    "reward_total",
    "reward",
    "reflection",
    "steps_digest",
    "archived_at",
    "deleted_at",
)


def episode_hash(episode: Episode) -> str:
    fields = {name: getattr(episode, name) for name in EPISODE_HASHED_FIELDS}
    fields["id"] = str(episode.pk)
    fields["v"] = HASH_VERSION
    return hashlib.sha256(canonical(fields)).hexdigest()


def record_hash(kind: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({"kind": kind, "v": HASH_VERSION, **fields})).hexdigest()
