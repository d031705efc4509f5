"""Patterns merge by signature; heuristics gain confidence with evidence."""

from __future__ import annotations

import pytest

from episodes.models import Heuristic, Pattern
from tests.factories import FAILURE, SUCCESS, make_episode, step

pytestmark = pytest.mark.django_db

SEQUENCE = [step("grep"), step("editor"), step("pytest")]


def test_same_tool_sequence_merges_into_one_pattern() -> None:
    for outcome in (SUCCESS, SUCCESS, FAILURE):
        make_episode(steps=SEQUENCE, outcome=outcome)
    patterns = Pattern.objects.filter(kind="tool_sequence")
    assert patterns.count() == 1
    pattern = patterns.get()
    assert pattern.data["tools"] == ["grep", "editor", "pytest"]
    assert (pattern.occurrence_count, pattern.success_count) == (3, 2)
    assert pattern.success_rate == pytest.approx(0.6667, abs=1e-4)
    assert pattern.evidence.count() == 3


def test_different_sequences_and_task_types_stay_apart() -> None:
    make_episode(steps=SEQUENCE, outcome=SUCCESS)
    make_episode(steps=[step("grep"), step("pytest")], outcome=SUCCESS)
    make_episode(steps=SEQUENCE, outcome=SUCCESS, task_type="testing")
    assert Pattern.objects.filter(kind="tool_sequence").count() == 3


def test_repeated_tools_collapse_in_the_sequence() -> None:
    make_episode(steps=[step("grep"), step("grep"), step("pytest")], outcome=SUCCESS)
    assert Pattern.objects.get(kind="tool_sequence").data["tools"] == ["grep", "pytest"]


def test_error_recovery_and_decision_points() -> None:
    make_episode(
        steps=[step("pytest", success=False), step("pip"), step("pytest")], outcome=SUCCESS
    )
    recovery = Pattern.objects.get(kind="error_recovery")
    assert recovery.data == {"failed_tool": "pytest", "recovered_with": ["pip"]}
    decision = Pattern.objects.get(kind="decision_point")
    assert decision.data == {"after_failed": "pytest", "next": "pip"}
    assert Heuristic.objects.filter(condition="pytest fails", action="follow with pip").exists()


def test_heuristic_confidence_rises_with_sample_size() -> None:
    make_episode(steps=SEQUENCE, outcome=SUCCESS)
    first = Heuristic.objects.get(action="start with grep")
    for _ in range(9):
        make_episode(steps=SEQUENCE, outcome=SUCCESS)
    later = Heuristic.objects.get(action="start with grep")
    assert later.sample_size == 10 and later.success_rate == 1.0
    assert later.confidence > first.confidence
    make_episode(steps=SEQUENCE, outcome=FAILURE)
    after_failure = Heuristic.objects.get(action="start with grep")
    assert after_failure.confidence < later.confidence
    assert "task_type = debugging" in after_failure.condition


def test_no_steps_learns_only_the_context() -> None:
    make_episode(steps=[], outcome=SUCCESS)
    assert list(Pattern.objects.values_list("kind", flat=True)) == ["context_pattern"]
    assert not Heuristic.objects.exists()


def test_merging_writes_every_counter_and_the_change_marker() -> None:
    """The rows are updated by raw statements: what is read back is what was counted."""
    from episodes.learning.heuristics import heuristic_hash
    from episodes.learning.patterns import pattern_hash

    make_episode(steps=SEQUENCE, outcome=SUCCESS)
    first = Pattern.objects.get(kind="tool_sequence")
    heuristic_before = {h.pk: h.change_seq for h in Heuristic.objects.all()}
    assert heuristic_before
    make_episode(steps=SEQUENCE, outcome=FAILURE)
    again = Pattern.objects.get(kind="tool_sequence")
    assert (again.occurrence_count, again.success_count, again.success_rate) == (2, 1, 0.5)
    assert again.change_seq > first.change_seq and again.updated_at > first.updated_at
    assert again.content_hash == pattern_hash(again) != first.content_hash
    for heuristic in Heuristic.objects.filter(pk__in=heuristic_before):
        assert heuristic.sample_size == 2 and heuristic.change_seq > heuristic_before[heuristic.pk]
        assert heuristic.content_hash == heuristic_hash(heuristic)
