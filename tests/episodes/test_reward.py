"""Reward components and their edge cases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from episodes.learning.heuristics import wilson_lower_bound
from tests.factories import FAILURE, SUCCESS, make_episode, step

pytestmark = pytest.mark.django_db


def test_success_beats_partial_beats_failure() -> None:
    steps = [step("grep"), step("pytest")]
    success = make_episode(steps=steps, outcome=SUCCESS)
    partial = make_episode(
        steps=steps,
        outcome={"kind": "partial_success", "verdict": "half", "completed": ["a"], "failed": ["b"]},
    )
    failure = make_episode(steps=steps, outcome=FAILURE)
    assert success.reward_total > partial.reward_total > failure.reward_total
    assert partial.reward["base"] == pytest.approx(0.5)


def test_abstaining_early_scores_better_than_failing_late() -> None:
    early = make_episode(
        steps=[step("grep")],
        outcome={"kind": "abstained", "reason": "needs credentials", "stopped_at_step": 1},
        duration=timedelta(seconds=30),
    )
    late = make_episode(
        steps=[step("pytest", success=False) for _ in range(25)],
        outcome=FAILURE,
        duration=timedelta(minutes=40),
    )
    assert early.reward_total > late.reward_total
    assert late.reward["efficiency"] == pytest.approx(-0.2)


def test_abstaining_late_is_worth_less_than_abstaining_early() -> None:
    steps = [step() for _ in range(10)]
    early = make_episode(
        steps=steps, outcome={"kind": "abstained", "reason": "r", "stopped_at_step": 1}
    )
    late = make_episode(
        steps=steps, outcome={"kind": "abstained", "reason": "r", "stopped_at_step": 10}
    )
    assert early.reward["base"] == pytest.approx(0.27)
    assert late.reward["base"] == 0.0


def test_complexity_bonus_only_rewards_achieved_work() -> None:
    complex_ctx = {"complexity": "complex"}
    won = make_episode(context=complex_ctx, steps=[step()], outcome=SUCCESS)
    lost = make_episode(context=complex_ctx, steps=[step()], outcome=FAILURE)
    assert won.reward["complexity_bonus"] == pytest.approx(0.1)
    assert lost.reward["complexity_bonus"] == 0.0


def test_quality_and_learning_bonus() -> None:
    episode = make_episode(
        steps=[step("grep"), step("pytest", success=False), step("editor"), step("pytest")],
        outcome=SUCCESS,
    )
    assert episode.reward["quality"] == pytest.approx(0.1 * 3 / 4 + 0.05)
    assert episode.reward["learning_bonus"] == pytest.approx(0.1)
    bare = make_episode(steps=[], outcome={"kind": "success", "verdict": "done", "artifacts": []})
    assert bare.reward["quality"] == 0.0 and bare.reward["learning_bonus"] == 0.0
    assert "No execution steps were logged" in " ".join(bare.reflection["improvements"])


def test_total_is_the_sum_of_components() -> None:
    episode = make_episode(steps=[step(), step("mypy")], outcome=SUCCESS)
    parts = {k: v for k, v in episode.reward.items() if k != "total"}
    assert episode.reward_total == pytest.approx(sum(parts.values()), abs=1e-3)


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [(0, 0, 0.0), (3, 3, 0.4385), (30, 30, 0.8865), (5, 10, 0.2366), (0, 10, 0.0)],
)
def test_wilson_confidence_grows_with_evidence(successes: int, n: int, expected: float) -> None:
    assert wilson_lower_bound(successes, n) == pytest.approx(expected, abs=1e-3)
