"""Writes send ``episode_changed`` after commit; the sync app queues its write-behind
(debounced) and the episodes app the embedding."""

from __future__ import annotations

import pytest
from django_q.models import OrmQ

from episodes.services import episode_complete
from episodes.signals import episode_changed
from sync import receivers
from tests.factories import SUCCESS, make_episode, step

pytestmark = pytest.mark.django_db


def _queued() -> list[str]:
    return [task.func() for task in OrmQ.objects.all()]


def test_a_burst_of_writes_queues_one_write_behind(
    settings, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    settings.CACHE_WRITE_BEHIND = True
    monkeypatch.setattr(receivers, "_last_queued", 0.0)
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
        episode_complete(
            episode_id=episode.pk, namespace_id=episode.namespace_id, outcome={"kind": "nope"}
        )
    assert _queued() == []


def test_the_signal_carries_the_id_and_whether_the_write_completed(
    django_capture_on_commit_callbacks,
) -> None:
    sent: list[tuple[str, bool]] = []

    def listen(*, episode_id: str, completed: bool, **_: object) -> None:
        sent.append((episode_id, completed))

    episode_changed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            episode = make_episode(steps=[step()])
        assert sent == [(episode.pk.hex, False), (episode.pk.hex, False)]  # start, steps
        with django_capture_on_commit_callbacks(execute=True):
            episode_complete(
                episode_id=episode.pk, namespace_id=episode.namespace_id, outcome=SUCCESS
            )
        assert sent[-1] == (episode.pk.hex, True)
    finally:
        episode_changed.disconnect(listen)
