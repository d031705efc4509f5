"""start → steps → complete on the real libSQL database."""

from __future__ import annotations

import uuid

import pytest

from episodes.models import Episode, EpisodeTag, ExecutionStep, Heuristic, Pattern
from episodes.services import episode_complete, episode_log_steps, episode_start
from memoryadmin.exceptions import ApplicationError, Conflict, NotFound
from tests.factories import FAILURE, SUCCESS, default_namespace_id, make_episode, step

pytestmark = pytest.mark.django_db


def test_start_stores_the_task_and_its_context() -> None:
    episode = episode_start(
        namespace_id=default_namespace_id(),
        task_description="  Add OAuth login  ",
        task_type="code_generation",
        context={
            "language": "Python",
            "framework": "django",
            "domain": "web",
            "tags": ["Auth", "auth"],
        },
        metadata={"agent": "claude"},
    )
    stored = Episode.objects.get(pk=episode.pk)
    assert stored.task_description == "Add OAuth login"
    assert (stored.language, stored.domain, stored.complexity) == ("python", "web", "moderate")
    assert stored.tags == ["auth"]
    assert list(EpisodeTag.objects.filter(episode=stored).values_list("tag", flat=True)) == ["auth"]
    assert stored.change_seq > 0 and len(stored.content_hash) == 64
    assert stored.verdict is None


def test_steps_are_numbered_across_batches_and_change_the_hash() -> None:
    episode = make_episode()
    before = (episode.content_hash, episode.change_seq)
    episode_log_steps(
        episode_id=episode.pk,
        namespace_id=episode.namespace_id,
        steps=[step("grep"), step("pytest", success=False)],
    )
    episode_log_steps(
        episode_id=str(episode.pk), namespace_id=episode.namespace_id, steps=[step("pytest")]
    )
    episode.refresh_from_db()
    numbers = list(ExecutionStep.objects.filter(episode=episode).values_list("step_number", "tool"))
    assert numbers == [(1, "grep"), (2, "pytest"), (3, "pytest")]
    assert episode.step_count == 3
    assert episode.content_hash != before[0] and episode.change_seq > before[1]
    failed = ExecutionStep.objects.get(episode=episode, step_number=2)
    assert failed.result_kind == "error" and failed.success is False


def test_complete_scores_reflects_and_learns_in_one_go() -> None:
    episode = make_episode(
        steps=[step("grep"), step("pytest", success=False), step("editor"), step("pytest")],
        outcome=SUCCESS,
    )
    assert episode.verdict == "success"
    assert episode.reward is not None and episode.reward_total == episode.reward["total"]
    assert set(episode.reward) >= {
        "base",
        "efficiency",
        "complexity_bonus",
        "quality",
        "learning_bonus",
    }
    assert episode.reflection is not None and episode.reflection["successes"]
    kinds = set(Pattern.objects.values_list("kind", flat=True))
    assert kinds == {"tool_sequence", "decision_point", "error_recovery", "context_pattern"}
    assert Heuristic.objects.filter(action="start with grep").exists()
    assert Pattern.objects.filter(evidence=episode).count() == 4


def test_completing_twice_is_a_conflict_and_changes_nothing() -> None:
    episode = make_episode(steps=[step()], outcome=SUCCESS)
    with pytest.raises(Conflict, match="already completed"):
        episode_complete(episode_id=episode.pk, namespace_id=episode.namespace_id, outcome=FAILURE)
    episode.refresh_from_db()
    assert episode.verdict == "success"


def test_logging_to_a_completed_episode_is_refused() -> None:
    episode = make_episode(steps=[step()], outcome=SUCCESS)
    with pytest.raises(Conflict, match="steps cannot be added"):
        episode_log_steps(episode_id=episode.pk, namespace_id=episode.namespace_id, steps=[step()])
    assert ExecutionStep.objects.filter(episode=episode).count() == 1


@pytest.mark.parametrize("bad_id", [uuid.uuid4(), "not-a-uuid", ""])
def test_unknown_ids_are_not_found(bad_id) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        episode_log_steps(episode_id=bad_id, namespace_id=default_namespace_id(), steps=[step()])
    with pytest.raises(NotFound):
        episode_complete(episode_id=bad_id, namespace_id=default_namespace_id(), outcome=SUCCESS)


def test_a_bad_step_in_a_batch_writes_none_of_it() -> None:
    episode = make_episode()
    with pytest.raises(ApplicationError, match=r"steps\[1\]\.success"):
        episode_log_steps(
            episode_id=episode.pk,
            namespace_id=episode.namespace_id,
            steps=[step(), {"tool": "x", "success": "yes"}],
        )
    episode.refresh_from_db()
    assert episode.step_count == 0 and not ExecutionStep.objects.filter(episode=episode).exists()


@pytest.mark.parametrize(
    ("outcome", "field"),
    [
        ({"kind": "won"}, "outcome.kind"),
        ({"kind": "success", "artifacts": "x"}, "outcome.artifacts"),
        ({"kind": "abstained", "reason": "r", "stopped_at_step": -1}, "outcome.stopped_at_step"),
        ("success", "outcome"),
    ],
)
def test_bad_outcomes_name_the_field_and_leave_the_episode_open(outcome, field) -> None:
    episode = make_episode(steps=[step()])
    with pytest.raises(ApplicationError) as error:
        episode_complete(episode_id=episode.pk, namespace_id=episode.namespace_id, outcome=outcome)
    assert error.value.extra["field"] == field
    episode.refresh_from_db()
    assert episode.verdict is None and not Pattern.objects.exists()


def test_bad_start_input_names_the_field() -> None:
    ns = default_namespace_id()
    with pytest.raises(ApplicationError, match="task_type must be one of"):
        episode_start(namespace_id=ns, task_description="x", task_type="cooking")
    with pytest.raises(ApplicationError, match="task_description must not be empty"):
        episode_start(namespace_id=ns, task_description="   ", task_type="other")
    with pytest.raises(ApplicationError, match=r"context\.complexity"):
        episode_start(
            namespace_id=ns, task_description="x", task_type="other", context={"complexity": "epic"}
        )
    assert not Episode.objects.exists()
