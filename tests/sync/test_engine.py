"""The sync engine on a real libSQL test database and real redb files."""

from __future__ import annotations

import pytest

from episodes.models import Heuristic, Pattern
from episodes.payloads import episode_payload
from episodes.services import episode_soft_delete, episode_update
from hotcache import cache
from hotcache.envelope import pack
from sync.models.runs import Status
from sync.selectors import validation_latest
from tests.sync.conftest import dump_cache, embed, seed, sync

pytestmark = pytest.mark.django_db


def test_first_run_writes_everything_then_validates() -> None:
    episodes = seed(6)
    embed(episodes[-1])
    run = sync()
    assert run.status == Status.SUCCEEDED, run.report
    patterns, heuristics = Pattern.objects.count(), Heuristic.objects.count()
    assert run.new_count == 6 + patterns + heuristics + 1
    assert run.modified_count == run.unchanged_count == 0
    dump = dump_cache()
    assert set(dump[cache.EPISODES]) == {e.pk.hex.encode() for e in episodes}
    assert len(dump[cache.PATTERNS]) == patterns and len(dump[cache.HEURISTICS]) == heuristics
    assert list(dump[cache.EMBEDDINGS]) == [f"episode:{episodes[-1].pk.hex}:test-model".encode()]
    cached = cache.cache_get(cache.EPISODES, episodes[0].pk.hex).value
    assert [s["tool"] for s in cached["steps"]] == ["read_file", "edit_file", "pytest"]
    assert cache.cache_metadata("synced_at") is not None
    report = validation_latest(run_id=run.pk)
    assert report is not None and report.passed, [c.details for c in report.checks.all()]
    assert run.report["next_recommended_sync"]["why"] == "periodic"


def test_incremental_run_rewrites_only_what_changed() -> None:
    episodes = seed(8)
    sync()
    before = dump_cache()
    changed = episode_update(
        episode_id=episodes[3].pk, namespace_id=episodes[3].namespace_id, tags=["hot"]
    )
    run = sync()
    total = 8 + Pattern.objects.count() + Heuristic.objects.count()
    assert (run.new_count, run.modified_count, run.unchanged_count) == (0, 1, total - 1)
    # Exactly one value was written: its bytes are the whole of bytes_written.
    payload = episode_payload(changed, changed.steps.order_by("step_number"))
    assert run.bytes_written == len(changed.pk.hex) + len(pack(payload))
    after = dump_cache()
    key = changed.pk.hex.encode()
    for table in (cache.EPISODES, cache.PATTERNS, cache.HEURISTICS):
        for k, value in before[table].items():
            if k != key:
                assert after[table][k] == value
    assert after[cache.EPISODES][key] != before[cache.EPISODES][key]
    assert sync().unchanged_count == total  # and a third run touches nothing


def test_force_full_rewrites_everything() -> None:
    seed(3)
    sync()
    run = sync(force_full=True)
    assert run.unchanged_count == 0 and run.modified_count == run.progress_total
    assert run.bytes_written > 0


def test_dry_run_writes_nothing_and_previews(tmp_path) -> None:
    episodes = seed(4)
    run = sync(dry_run=True)
    assert not (tmp_path / "cache.redb").exists()  # not even created
    assert run.status == Status.SUCCEEDED and run.new_count == run.progress_total
    estimate = run.preview["estimate"]
    assert estimate["entries_added"] == run.new_count and estimate["bytes_to_write"] > 0
    first = run.preview["entries"][0]
    assert first["action"] == "new" and first["key"] == episodes[-1].pk.hex
    assert len(first["preview"]) <= 301
    sync()
    before = dump_cache()
    episode_update(episode_id=episodes[0].pk, namespace_id=episodes[0].namespace_id, tags=["x"])
    episode_soft_delete(episode_id=episodes[1].pk, namespace_id=episodes[1].namespace_id)
    run = sync(dry_run=True)
    assert (run.modified_count, run.removed_count) == (1, 1)
    assert {e["action"] for e in run.preview["entries"]} == {"modified", "removed"}
    assert dump_cache() == before
    assert validation_latest(run_id=run.pk) is None  # dry runs are not validated


def test_eviction_beyond_the_limit(small_window: int) -> None:
    episodes = seed(7)
    run = sync()
    newest = {e.pk.hex.encode() for e in episodes[-small_window:]}
    assert set(dump_cache()[cache.EPISODES]) == newest
    more = seed(2, start_minutes_ago=10)  # newer than everything
    run = sync()
    assert run.evicted_count == 2 and run.new_count >= 2
    expected = {e.pk.hex.encode() for e in (episodes + more)[-small_window:]}
    assert set(dump_cache()[cache.EPISODES]) == expected
    assert validation_latest(run_id=run.pk).passed


def test_deleted_source_is_removed_and_the_window_refills(small_window: int) -> None:
    episodes = seed(6)
    embed(episodes[-1])
    sync()
    episode_soft_delete(episode_id=episodes[-1].pk, namespace_id=episodes[-1].namespace_id)
    run = sync()
    assert run.removed_count == 2  # the episode and its embedding
    keys = set(dump_cache()[cache.EPISODES])
    assert episodes[-1].pk.hex.encode() not in keys
    assert episodes[0].pk.hex.encode() in keys  # moved into the window
    assert dump_cache()[cache.EMBEDDINGS] == {}
    assert validation_latest(run_id=run.pk).passed


def test_exclude_rules_keep_items_out() -> None:
    episodes = seed(6)
    sync()
    run = sync(exclude=["domain:payments"])
    payments = [e for i, e in enumerate(episodes) if i % 3 == 0]
    assert run.excluded_count == len(payments)
    keys = set(dump_cache()[cache.EPISODES])
    assert not keys & {e.pk.hex.encode() for e in payments}
    assert validation_latest(run_id=run.pk).passed
    assert cache.cache_metadata("exclude") == ["domain:payments"]


def test_scoped_run_touches_only_its_table() -> None:
    seed(3)
    run = sync(scope="patterns")
    dump = dump_cache()
    assert dump[cache.EPISODES] == {} and len(dump[cache.PATTERNS]) == Pattern.objects.count()
    assert run.new_count == Pattern.objects.count()
    assert cache.cache_metadata("applied_seq") is None  # only full runs claim a marker


def test_embeddings_follow_their_owner(small_window: int) -> None:
    episodes = seed(6)
    embed(episodes[0])  # outside the window: never cached
    embed(episodes[-1])
    sync()
    assert list(dump_cache()[cache.EMBEDDINGS]) == [
        f"episode:{episodes[-1].pk.hex}:test-model".encode()
    ]
    seed(5, start_minutes_ago=10)  # pushes every old episode out of the window
    run = sync()
    assert dump_cache()[cache.EMBEDDINGS] == {}
    assert run.evicted_count == small_window + 1


def test_scope_embeddings_writes_only_embeddings() -> None:
    episodes = seed(3)
    sync()
    embedding = embed(episodes[1])
    run = sync(scope="embeddings")
    assert (run.new_count, run.unchanged_count) == (1, 0)
    key = f"episode:{episodes[1].pk.hex}:{embedding.model_id}"
    value = cache.cache_get(cache.EMBEDDINGS, key).value
    assert value["dimension"] == 4 and value["model_id"] == "test-model"
    assert validation_latest(run_id=run.pk).passed


def test_exclude_rules_parse_and_match() -> None:
    from memoryadmin.exceptions import ApplicationError
    from sync.services.rules import ExcludeRules

    rules = ExcludeRules.parse(["Tag:Secret", "archived", " domain:payments ", ""])
    assert rules.rules == ("archived", "domain:payments", "tag:secret")
    assert rules.excludes_episode({"tags": ["SECRET"], "archived_at": None})
    assert rules.excludes_episode({"tags": [], "archived_at": "2026-01-01"})
    assert rules.excludes_episode({"tags": [], "domain": "payments"})
    assert not rules.excludes_episode({"tags": ["ok"], "domain": "web"})
    assert ExcludeRules.parse(["pattern_kind:tool_sequence"]).excludes_pattern("tool_sequence")
    for bad in ("colour:blue", "domain:", "nonsense"):
        with pytest.raises(ApplicationError):
            ExcludeRules.parse([bad])
