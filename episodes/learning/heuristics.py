"""Heuristics (condition → action) with a confidence from success rate and sample size.

confidence is the lower bound of the Wilson score interval (z = 1.96) of
the success rate: 3/3 successes gives 0.44, 30/30 gives 0.89, so a rule
earns trust only with evidence.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from episodes.changes import next_change_seqs
from episodes.hashing import canonical, record_hash
from episodes.learning.reflection import tool_sequence
from episodes.learning.store import save_merged
from episodes.models import Episode, ExecutionStep, Heuristic

Z = 1.96


def wilson_lower_bound(successes: int, n: int, z: float = Z) -> float:
    if n == 0:
        return 0.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return round(max(0.0, (centre - margin) / denominator), 4)


@dataclass(frozen=True)
class Rule:
    condition: str
    action: str
    condition_data: dict[str, Any]

    @property
    def signature(self) -> str:
        return hashlib.sha256(canonical([self.condition_data, self.action])).hexdigest()


def extract(episode: Episode, steps: Sequence[ExecutionStep]) -> list[Rule]:
    rules: dict[str, Rule] = {}
    tools = tool_sequence(steps)
    if tools:
        data: dict[str, Any] = {"task_type": episode.task_type}
        if episode.language:
            data["language"] = episode.language
        condition = " and ".join(f"{k} = {v}" for k, v in data.items())
        rule = Rule(condition, f"start with {tools[0]}", data)
        rules[rule.signature] = rule
    for i, step in enumerate(steps[:-1]):
        if not step.success:
            nxt = steps[i + 1]
            rule = Rule(f"{step.tool} fails", f"follow with {nxt.tool}", {"failed_tool": step.tool})
            rules.setdefault(rule.signature, rule)
    return list(rules.values())


def new_heuristic(rule: Rule, *, namespace_id: int) -> Heuristic:
    """The unsaved heuristic a rule starts (no evidence yet) in a namespace."""
    return Heuristic(
        namespace_id=namespace_id,
        signature=rule.signature,
        condition=rule.condition,
        action=rule.action,
        condition_data=rule.condition_data,
    )


def count_in(heuristic: Heuristic, *, succeeded: bool) -> None:
    """One more sample of the rule: success rate and confidence after it."""
    heuristic.sample_size += 1
    heuristic.success_count += int(succeeded)
    heuristic.success_rate = round(heuristic.success_count / heuristic.sample_size, 4)
    heuristic.confidence = wilson_lower_bound(heuristic.success_count, heuristic.sample_size)


# What counting a sample changes on an existing heuristic.
HEURISTIC_COUNTERS = (
    *("sample_size", "success_count", "success_rate", "confidence"),
    *("change_seq", "content_hash"),
)


def merge(episode: Episode, rules: Sequence[Rule]) -> list[Heuristic]:
    """Count this episode into each heuristic (one read, one counter update, one insert)."""
    if not rules:
        return []
    succeeded = episode.verdict == "success"
    # Learning is per namespace: only this namespace's heuristics are counted into.
    rows = Heuristic.objects.filter(
        namespace_id=episode.namespace_id, signature__in=[r.signature for r in rules]
    )
    existing = {h.signature: h for h in rows}
    merged = []
    for rule, seq in zip(rules, next_change_seqs(len(rules)), strict=True):
        heuristic = existing.get(rule.signature) or new_heuristic(
            rule, namespace_id=episode.namespace_id
        )
        count_in(heuristic, succeeded=succeeded)
        heuristic.change_seq = seq
        heuristic.content_hash = heuristic_hash(heuristic)
        merged.append(heuristic)
    save_merged(merged, counters=HEURISTIC_COUNTERS)
    through = Heuristic.evidence.through
    through.objects.bulk_create(
        [through(heuristic_id=h.pk, episode_id=episode.pk) for h in merged],
        ignore_conflicts=True,
    )
    return merged


def heuristic_hash(heuristic: Heuristic) -> str:
    return record_hash(
        "heuristic",
        {
            "signature": heuristic.signature,
            "condition": heuristic.condition,
            "action": heuristic.action,
            "confidence": heuristic.confidence,
            "sample_size": heuristic.sample_size,
            "success_count": heuristic.success_count,
        },
    )
