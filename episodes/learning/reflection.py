"""A rule-based reflection: what went well, what to improve, what to remember."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from episodes.learning.reward import EXPECTED_STEPS, Reward, recovered_from_error
from episodes.models import Episode, ExecutionStep

SLOW_STEP_MS = 5_000


def tool_sequence(steps: Sequence[ExecutionStep], limit: int = 8) -> list[str]:
    """Tools in order with consecutive repeats collapsed."""
    sequence: list[str] = []
    for step in steps:
        if not sequence or sequence[-1] != step.tool:
            sequence.append(step.tool)
    return sequence[:limit]


def build_reflection(
    episode: Episode, steps: Sequence[ExecutionStep], reward: Reward
) -> dict[str, list[str]]:
    outcome: dict[str, Any] = episode.outcome or {}
    kind = outcome.get("kind")
    successes: list[str] = []
    improvements: list[str] = []
    insights: list[str] = []
    failures = [s for s in steps if not s.success]
    tools = tool_sequence(steps)

    if kind == "success":
        successes.append(
            f"Completed the {episode.task_type.replace('_', ' ')} task in {len(steps)} steps"
        )
        if outcome.get("artifacts"):
            successes.append(f"Produced {len(outcome['artifacts'])} artifact(s)")
    elif kind == "partial_success":
        successes.append(f"Completed {len(outcome.get('completed', []))} part(s) of the task")
        improvements.append(f"{len(outcome.get('failed', []))} part(s) were left unfinished")
    elif kind == "failure":
        improvements.append(f"The task failed: {outcome.get('reason') or 'no reason given'}")
    elif kind == "abstained":
        successes.append("Stopped instead of guessing when the task could not be done safely")
        insights.append(
            f"Abstained at step {outcome.get('stopped_at_step')}: "
            f"{outcome.get('reason') or 'no reason'}"
        )

    if recovered_from_error(steps):
        successes.append("Recovered after a failed step")
    if failures:
        worst, count = Counter(s.tool for s in failures).most_common(1)[0]
        improvements.append(
            f"{len(failures)} of {len(steps)} steps failed; {worst} failed most often ({count}x)"
        )
    slow = [s for s in steps if s.latency_ms >= SLOW_STEP_MS]
    if slow:
        improvements.append(
            f"{len(slow)} step(s) took over {SLOW_STEP_MS // 1000} s; "
            "consider caching or narrowing them"
        )
    if len(steps) > 1.5 * EXPECTED_STEPS.get(episode.complexity, 10):
        improvements.append(
            f"Used {len(steps)} steps where about {EXPECTED_STEPS[episode.complexity]} "
            f"are typical for {episode.complexity} tasks"
        )
    if tools and kind in ("success", "partial_success"):
        context = ", ".join(p for p in (episode.language, episode.framework, episode.domain) if p)
        insights.append(
            f"The sequence {' → '.join(tools)} worked for {episode.task_type.replace('_', ' ')}"
            + (f" ({context})" if context else "")
        )
    if reward.efficiency < 0:
        insights.append("Efficiency was below expectation for this complexity")
    if not steps:
        improvements.append(
            "No execution steps were logged, so nothing can be learned from how it was done"
        )
    return {"successes": successes, "improvements": improvements, "insights": insights}
