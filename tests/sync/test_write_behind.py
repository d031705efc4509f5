"""Write-behind: changes newer than the cache's marker reach it in one call."""

from __future__ import annotations

import pytest

from episodes.changes import current_change_seq
from episodes.services import episode_soft_delete, episode_update
from hotcache import cache
from sync.models import SyncRun
from sync.models.runs import Status, Trigger
from sync.selectors import cache_freshness
from sync.services import cache_write_behind, sync_run_start
from sync.services.runs import claim_run, release_run
from tests.sync.conftest import dump_cache, embed, seed, sync

pytestmark = pytest.mark.django_db


def test_a_change_is_applied_within_one_call() -> None:
    episodes = seed(4)
    sync()
    assert cache_write_behind()["status"] == "in_step"
    episode_update(
        episode_id=episodes[1].pk, namespace_id=episodes[1].namespace_id, tags=["after-sync"]
    )
    behind = cache_freshness()
    assert not behind["in_step"] and behind["pending_changes"] == 1
    result = cache_write_behind()
    assert result["status"] == "applied" and result["written"] == 1
    assert cache.cache_get(cache.EPISODES, episodes[1].pk.hex).value["tags"] == ["after-sync"]
    assert cache.cache_metadata("applied_seq") == current_change_seq()
    freshness = cache_freshness()
    assert freshness["in_step"] and freshness["lag_seconds"] == 0.0
    run = SyncRun.objects.get(pk=result["run_id"])
    assert run.trigger == Trigger.WRITE_BEHIND and run.status == Status.SUCCEEDED
    assert run.unchanged_count == 0  # only the changed row was looked at


def test_new_deleted_and_embedded_rows_follow(small_window: int) -> None:
    episodes = seed(5)
    sync()
    newest = seed(1, start_minutes_ago=1)[0]
    embed(newest)
    episode_soft_delete(episode_id=episodes[-1].pk, namespace_id=episodes[-1].namespace_id)
    result = cache_write_behind()
    assert result["status"] == "applied"
    expected = {e.pk.hex.encode() for e in [*episodes[:-1], newest]}
    dump = dump_cache()
    assert set(dump[cache.EPISODES]) == expected  # the oldest came back into the window
    assert list(dump[cache.EMBEDDINGS]) == [f"episode:{newest.pk.hex}:test-model".encode()]
    reference = dump
    assert sync().unchanged_count > 0 and dump_cache() == reference  # a full run agrees


def test_steps_aside_while_a_run_is_active() -> None:
    episodes = seed(2)
    sync()
    episode_update(episode_id=episodes[0].pk, namespace_id=episodes[0].namespace_id, tags=["late"])
    run = sync_run_start()
    claim_run(run.pk)
    try:
        assert cache_write_behind() == {"status": "deferred", "run_id": run.pk}
    finally:
        release_run(run.pk)


def test_a_cache_without_a_marker_is_rebuilt() -> None:
    seed(2)
    result = cache_write_behind()
    assert result["status"] == "rebuilt"
    assert SyncRun.objects.get(pk=result["run_id"]).trigger == Trigger.RECOVERY
    assert cache.cache_metadata("applied_seq") == current_change_seq()
