"""Every size limit answers with a clear error and writes nothing."""

from __future__ import annotations

import pytest

from episodes import limits
from episodes.models import Episode, ExecutionStep
from episodes.services import episode_complete, episode_log_steps, episode_start
from memoryadmin.exceptions import PayloadTooLarge
from tests.factories import default_namespace_id, make_episode, step

pytestmark = pytest.mark.django_db


def test_description_over_10_kb() -> None:
    with pytest.raises(PayloadTooLarge, match="task_description is 10241 bytes"):
        episode_start(
            namespace_id=default_namespace_id(),
            task_description="x" * (10 * 1024 + 1),
            task_type="other",
        )
    episode_start(
        namespace_id=default_namespace_id(), task_description="x" * (10 * 1024), task_type="other"
    )
    assert Episode.objects.count() == 1


def test_observation_over_10_kb() -> None:
    episode = make_episode()
    with pytest.raises(PayloadTooLarge, match=r"steps\[0\]\.observation"):
        episode_log_steps(
            episode_id=episode.pk,
            namespace_id=episode.namespace_id,
            steps=[step(observation="é" * 5200)],
        )
    assert not ExecutionStep.objects.exists()


def test_parameters_over_1_mb() -> None:
    episode = make_episode()
    with pytest.raises(PayloadTooLarge, match=r"steps\[0\]\.parameters"):
        episode_log_steps(
            episode_id=episode.pk,
            namespace_id=episode.namespace_id,
            steps=[step(parameters={"blob": "x" * limits.MB})],
        )


def test_artifacts_over_1_mb() -> None:
    episode = make_episode(steps=[step()])
    outcome = {"kind": "success", "verdict": "ok", "artifacts": ["x" * limits.MB]}
    with pytest.raises(PayloadTooLarge, match="outcome"):
        episode_complete(episode_id=episode.pk, namespace_id=episode.namespace_id, outcome=outcome)
    episode.refresh_from_db()
    assert episode.verdict is None


def test_at_most_1000_steps() -> None:
    episode = make_episode()
    episode_log_steps(
        episode_id=episode.pk, namespace_id=episode.namespace_id, steps=[step() for _ in range(999)]
    )
    with pytest.raises(PayloadTooLarge, match="at most 1000 steps"):
        episode_log_steps(
            episode_id=episode.pk, namespace_id=episode.namespace_id, steps=[step(), step()]
        )
    episode_log_steps(episode_id=episode.pk, namespace_id=episode.namespace_id, steps=[step()])
    assert ExecutionStep.objects.filter(episode=episode).count() == 1000


def test_episode_over_10_mb() -> None:
    episode = make_episode()
    big = {"blob": "y" * (limits.MB - 100)}
    for _ in range(9):
        episode_log_steps(
            episode_id=episode.pk, namespace_id=episode.namespace_id, steps=[step(parameters=big)]
        )
    with pytest.raises(PayloadTooLarge, match="the limit is 10485760"):
        episode_log_steps(
            episode_id=episode.pk,
            namespace_id=episode.namespace_id,
            steps=[step(parameters=big), step(parameters=big)],
        )
    assert ExecutionStep.objects.filter(episode=episode).count() == 9


def test_metadata_over_1_mb() -> None:
    with pytest.raises(PayloadTooLarge, match="metadata"):
        episode_start(
            namespace_id=default_namespace_id(),
            task_description="x",
            task_type="other",
            metadata={"m": "z" * limits.MB},
        )
