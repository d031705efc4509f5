"""Learning from a completed episode: patterns and heuristics (reward and
reflection are computed by the completion service itself)."""

from __future__ import annotations

from collections.abc import Sequence

from episodes.models import Episode, ExecutionStep


def learn_from_episode(episode: Episode, steps: Sequence[ExecutionStep]) -> None:
    from episodes.learning import heuristics, patterns

    patterns.merge(episode, patterns.extract(episode, steps))
    heuristics.merge(episode, heuristics.extract(episode, steps))
