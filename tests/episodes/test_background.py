"""Writes queue the cache write-behind (debounced) and embeddings, after commit."""

from __future__ import annotations

import pytest
from django_q.models import OrmQ

from episodes.services import on_commit
from tests.factories import SUCCESS, make_episode, step

pytestmark = pytest.mark.django_db


def _queued() -> list[str]:
    return [task.func() for task in OrmQ.objects.all()]


def test_a_burst_of_writes_queues_one_write_behind(
    settings, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    settings.CACHE_WRITE_BEHIND = True
    monkeypatch.setattr(on_commit, "_last_queued", 0.0)
    with django_capture_on_commit_callbacks(execute=True):
        make_episode(steps=[step()], outcome=SUCCESS)
    assert _queued() == ["sync.tasks.cache_write_behind_task"]


def test_completion_queues_the_embedding_when_a_provider_is_set(
    settings, django_capture_on_commit_callbacks
) -> None:
    settings.EMBEDDINGS_PROVIDER = "local"
    with django_capture_on_commit_callbacks(execute=True):
        make_episode(steps=[step()], outcome=SUCCESS)
    assert _queued() == ["episodes.tasks.episode_embed"]


def test_nothing_is_queued_when_the_write_fails(
    settings, django_capture_on_commit_callbacks
) -> None:
    settings.CACHE_WRITE_BEHIND = True
    settings.EMBEDDINGS_PROVIDER = "local"
    episode = make_episode(steps=[step()])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception):
        from episodes.services import episode_complete

        episode_complete(episode_id=episode.pk, outcome={"kind": "nope"})
    assert _queued() == []
