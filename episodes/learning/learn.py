"""What a completed episode teaches: its patterns and heuristics, merged into the memory."""

from __future__ import annotations

from collections.abc import Sequence

from episodes.learning import heuristics, patterns
from episodes.models import Episode, ExecutionStep


def learn_from_episode(episode: Episode, steps: Sequence[ExecutionStep]) -> None:
    patterns.merge(episode, patterns.extract(episode, steps))
    heuristics.merge(episode, heuristics.extract(episode, steps))
