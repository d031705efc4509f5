"""Reading one episode: the redb cache first, the database when the cache can't answer."""

from __future__ import annotations

import pytest

from episodes.payloads import episode_payload
from episodes.selectors import episode_read
from hotcache import cache
from memoryadmin.exceptions import NotFound
from tests.factories import SUCCESS, default_namespace_id, make_episode, step

pytestmark = pytest.mark.django_db


def test_miss_reads_the_database_then_a_cached_copy_is_served() -> None:
    episode = make_episode(steps=[step("grep"), step("pytest")], outcome=SUCCESS)
    first = episode_read(episode_id=episode.pk, namespace_id=episode.namespace_id)
    assert first.source == "database" and first.cache_status == "unavailable"
    assert [s["tool"] for s in first.payload["steps"]] == ["grep", "pytest"]
    with cache.cache_writer() as writer:
        payload = episode_payload(episode, episode.steps.all())
        payload["marker"] = "from-cache"
        writer.write_batch(puts={cache.EPISODES: [(episode.pk.hex, payload, episode.content_hash)]})
    second = episode_read(episode_id=str(episode.pk), namespace_id=episode.namespace_id)
    assert second.source == "cache" and second.payload["marker"] == "from-cache"


def test_busy_cache_falls_back_to_the_database() -> None:
    episode = make_episode(steps=[step()])
    with cache.cache_writer() as writer:
        writer.write_batch(
            puts={cache.EPISODES: [(episode.pk.hex, episode_payload(episode, []), "h")]}
        )
        # The writer still holds the file: the reader must not wait for it.
        read = episode_read(episode_id=episode.pk, namespace_id=episode.namespace_id)
    assert read.source == "database" and read.cache_status == "busy"


def test_unknown_episode_is_not_found() -> None:
    with pytest.raises(NotFound):
        episode_read(episode_id="0" * 32, namespace_id=default_namespace_id())
    with pytest.raises(NotFound):
        episode_read(episode_id="nope", namespace_id=default_namespace_id())


def test_a_deleted_episode_is_not_served_from_a_stale_cache() -> None:
    from episodes.services import episode_soft_delete

    episode = make_episode(steps=[step()])
    with cache.cache_writer() as writer:
        writer.write_batch(
            puts={cache.EPISODES: [(episode.pk.hex, episode_payload(episode, []), "h")]}
        )
    episode_soft_delete(episode_id=episode.pk, namespace_id=episode.namespace_id)
    with pytest.raises(NotFound, match="was deleted"):
        episode_read(episode_id=episode.pk, namespace_id=episode.namespace_id)


def test_an_entry_older_than_the_row_is_not_served() -> None:
    """Steps logged after the last sync: the cached copy is stale until the write-behind runs."""
    from episodes.services import episode_log_steps

    episode = make_episode(steps=[step("grep")])
    with cache.cache_writer() as writer:
        payload = episode_payload(episode, episode.steps.all())
        writer.write_batch(puts={cache.EPISODES: [(episode.pk.hex, payload, "h")]})
    assert episode_read(episode_id=episode.pk, namespace_id=episode.namespace_id).source == "cache"
    episode_log_steps(
        episode_id=episode.pk,
        namespace_id=episode.namespace_id,
        steps=[{"tool": "pytest", "action": "run", "success": True}],
    )
    read = episode_read(episode_id=episode.pk, namespace_id=episode.namespace_id)
    assert read.source == "database" and read.cache_status == "stale"
    assert [s["tool"] for s in read.payload["steps"]] == ["grep", "pytest"]
