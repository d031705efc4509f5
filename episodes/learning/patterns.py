"""Pattern extraction for the four kinds, merged into existing rows by signature."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from episodes.changes import next_change_seqs
from episodes.hashing import canonical, record_hash
from episodes.learning.reflection import tool_sequence
from episodes.learning.store import save_merged
from episodes.models import Episode, ExecutionStep, Pattern
from episodes.models.learning import PatternKind


@dataclass(frozen=True)
class Candidate:
    kind: str
    key: dict[str, Any]
    description: str
    task_type: str = ""
    domain: str = ""

    @property
    def signature(self) -> str:
        return hashlib.sha256(canonical({"kind": self.kind, **self.key})).hexdigest()


def extract(episode: Episode, steps: Sequence[ExecutionStep]) -> list[Candidate]:
    found: dict[str, Candidate] = {}

    def add(candidate: Candidate) -> None:
        found.setdefault(candidate.signature, candidate)

    tools = tool_sequence(steps)
    label = episode.task_type.replace("_", " ")
    if len(tools) >= 2:
        add(
            Candidate(
                PatternKind.TOOL_SEQUENCE,
                {"task_type": episode.task_type, "tools": tools},
                f"{label}: {' → '.join(tools)}",
                episode.task_type,
                episode.domain,
            )
        )
    for i, step in enumerate(steps):
        if step.success:
            continue
        if i + 1 < len(steps):
            nxt = steps[i + 1].tool
            add(
                Candidate(
                    PatternKind.DECISION_POINT,
                    {"after_failed": step.tool, "next": nxt},
                    f"after {step.tool} failed, the agent chose {nxt}",
                    episode.task_type,
                    episode.domain,
                )
            )
        recovery = next((j for j in range(i + 1, len(steps)) if steps[j].success), None)
        if recovery is not None:
            path = tool_sequence(steps[i + 1 : recovery + 1], limit=4)
            add(
                Candidate(
                    PatternKind.ERROR_RECOVERY,
                    {"failed_tool": step.tool, "recovered_with": path},
                    f"{step.tool} failure recovered with {' → '.join(path)}",
                    episode.task_type,
                    episode.domain,
                )
            )
    context = {k: getattr(episode, k) for k in ("task_type", "language", "framework", "domain")}
    if any(context[k] for k in ("language", "framework", "domain")):
        described = ", ".join(f"{k}={v}" for k, v in context.items() if v)
        add(
            Candidate(
                PatternKind.CONTEXT_PATTERN, context, described, episode.task_type, episode.domain
            )
        )
    return list(found.values())


def new_pattern(candidate: Candidate, *, namespace_id: int) -> Pattern:
    """The unsaved pattern a candidate starts (seen 0 times) in a namespace."""
    return Pattern(
        namespace_id=namespace_id,
        kind=candidate.kind,
        signature=candidate.signature,
        description=candidate.description,
        data=candidate.key,
        task_type=candidate.task_type,
        domain=candidate.domain,
    )


def count_in(pattern: Pattern, *, succeeded: bool) -> None:
    """One more occurrence of the pattern, and its success rate after it."""
    pattern.occurrence_count += 1
    pattern.success_count += int(succeeded)
    pattern.success_rate = round(pattern.success_count / pattern.occurrence_count, 4)


# What counting an occurrence changes on an existing pattern.
PATTERN_COUNTERS = (
    *("occurrence_count", "success_count", "success_rate"),
    *("change_seq", "content_hash"),
)


def merge(episode: Episode, candidates: Sequence[Candidate]) -> list[Pattern]:
    """Count this episode into each pattern (creating it on first sight).

    One read for the existing rows, one prepared counter update, one insert of new
    rows and one evidence insert for the whole episode (writers are serialised: the
    transaction holds the lock).
    """
    if not candidates:
        return []
    succeeded = episode.verdict == "success"
    # Learning is per namespace: only this namespace's patterns are counted into.
    rows = Pattern.objects.filter(
        namespace_id=episode.namespace_id, signature__in=[c.signature for c in candidates]
    )
    existing = {(p.kind, p.signature): p for p in rows}
    merged = []
    for candidate, seq in zip(candidates, next_change_seqs(len(candidates)), strict=True):
        pattern = existing.get((candidate.kind, candidate.signature)) or new_pattern(
            candidate, namespace_id=episode.namespace_id
        )
        count_in(pattern, succeeded=succeeded)
        pattern.change_seq = seq
        pattern.content_hash = pattern_hash(pattern)
        merged.append(pattern)
    save_merged(merged, counters=PATTERN_COUNTERS)
    through = Pattern.evidence.through
    through.objects.bulk_create(
        [through(pattern_id=p.pk, episode_id=episode.pk) for p in merged], ignore_conflicts=True
    )
    return merged


def pattern_hash(pattern: Pattern) -> str:
    return record_hash(
        "pattern",
        {
            "kind": pattern.kind,
            "signature": pattern.signature,
            "description": pattern.description,
            "data": pattern.data,
            "occurrence_count": pattern.occurrence_count,
            "success_count": pattern.success_count,
            "success_rate": pattern.success_rate,
            # Use counts are part of the cached copy (payloads.py "effectiveness"), so
            # they are part of the hash: a landed count makes the sync rewrite the entry.
            "times_retrieved": pattern.times_retrieved,
            "times_applied": pattern.times_applied,
            "applied_success_count": pattern.applied_success_count,
        },
    )
