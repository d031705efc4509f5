"""Reward scoring of a completed episode.

total = base + efficiency + complexity_bonus + quality + learning_bonus

- base (by outcome): success 1.0; partial_success 0.3 + 0.4 x completed
  share; failure 0.0; abstained 0.3 x (1 - progress at the stop), so an
  early, honest stop is worth more than grinding on.
- efficiency (-0.2 … +0.2): steps and duration against what the task's
  complexity leads us to expect; failing late (many steps, long) goes
  negative, which is why abstaining early beats failing late.
- complexity_bonus: 0 / 0.05 / 0.1 for simple / moderate / complex, times
  the base (only achieved work earns it).
- quality (0 … 0.15): 0.1 x share of successful steps, + 0.05 when a
  success produced artifacts.
- learning_bonus (0 … 0.1): 0.05 for using three or more distinct tools,
  0.05 for recovering from an error (a failed step later followed by a
  successful one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from episodes.models import Episode, ExecutionStep

BASE = {"success": 1.0, "failure": 0.0}
EXPECTED_STEPS = {"simple": 5, "moderate": 10, "complex": 20}
EXPECTED_SECONDS = {"simple": 120, "moderate": 600, "complex": 1800}
COMPLEXITY_BONUS = {"simple": 0.0, "moderate": 0.05, "complex": 0.1}


@dataclass(frozen=True)
class Reward:
    base: float
    efficiency: float
    complexity_bonus: float
    quality: float
    learning_bonus: float

    @property
    def total(self) -> float:
        return round(
            self.base
            + self.efficiency
            + self.complexity_bonus
            + self.quality
            + self.learning_bonus,
            4,
        )

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "total": self.total}


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def base_score(outcome: dict, step_count: int) -> float:
    kind = outcome["kind"]
    if kind in BASE:
        return BASE[kind]
    if kind == "partial_success":
        done, failed = len(outcome.get("completed", [])), len(outcome.get("failed", []))
        share = done / (done + failed) if done + failed else 0.5
        return 0.3 + 0.4 * share
    # abstained: the earlier the stop, the better.
    stopped = outcome.get("stopped_at_step")
    stopped = step_count if stopped is None else stopped
    progress = _clamp(stopped / max(step_count, 1), 0.0, 1.0) if step_count else 0.0
    return 0.3 * (1.0 - progress)


def efficiency_score(step_count: int, seconds: float, complexity: str) -> float:
    step_term = 1.0 - step_count / EXPECTED_STEPS.get(complexity, 10)
    time_term = 1.0 - seconds / EXPECTED_SECONDS.get(complexity, 600)
    return round(
        _clamp(0.1 * _clamp(step_term, -1, 1) + 0.1 * _clamp(time_term, -1, 1), -0.2, 0.2), 4
    )


def recovered_from_error(steps: Sequence[ExecutionStep]) -> bool:
    seen_failure = False
    for step in steps:
        if not step.success:
            seen_failure = True
        elif seen_failure:
            return True
    return False


def compute_reward(episode: Episode, steps: Sequence[ExecutionStep]) -> Reward:
    assert episode.outcome is not None and episode.ended_at is not None
    base = base_score(episode.outcome, len(steps))
    seconds = (episode.ended_at - episode.started_at).total_seconds()
    successes = sum(1 for s in steps if s.success)
    quality = 0.1 * (successes / len(steps)) if steps else 0.0
    if episode.outcome["kind"] == "success" and episode.outcome.get("artifacts"):
        quality += 0.05
    learning = 0.05 if len({s.tool for s in steps}) >= 3 else 0.0
    if recovered_from_error(steps):
        learning += 0.05
    return Reward(
        base=round(base, 4),
        efficiency=efficiency_score(len(steps), seconds, episode.complexity),
        complexity_bonus=round(COMPLEXITY_BONUS.get(episode.complexity, 0.0) * base, 4),
        quality=round(quality, 4),
        learning_bonus=round(learning, 4),
    )
