"""Validation catches what was planted: orphans, stale hashes, missing items, bad steps."""

from __future__ import annotations

import pytest

from episodes.models import Episode, ExecutionStep
from hotcache import cache
from sync.services import sync_verify
from sync.services import validation as validation_module
from tests.sync.conftest import embed, seed, sync

pytestmark = pytest.mark.django_db


def _failed(report) -> dict[str, dict]:
    return {c.name: c.details for c in report.checks.all() if not c.passed}


def test_a_clean_cache_passes_every_check() -> None:
    embed(seed(3)[0])
    sync()
    report = sync_verify(full=True)
    assert report.passed and report.full and report.run is None
    names = [c.name for c in report.checks.all()]
    assert names == [
        "redb_integrity",
        "registry_consistent",
        "episode_count",
        "latest_present",
        "pattern_count",
        "heuristic_count",
        "no_orphaned_embeddings",
        "content_hashes",
    ]


def test_orphaned_embedding_is_caught() -> None:
    seed(2)
    sync()
    with cache.cache_writer() as writer:
        writer.write_batch(puts={cache.EMBEDDINGS: [("episode:" + "f" * 32 + ":m", {"v": 1}, "h")]})
    failed = _failed(sync_verify())
    assert failed["no_orphaned_embeddings"]["orphans"] == ["episode:" + "f" * 32 + ":m"]


def test_stale_registry_hash_is_caught() -> None:
    episode = seed(3)[1]
    sync()
    with cache.cache_writer() as writer:
        value = writer.get(cache.EPISODES, episode.pk.hex)
        writer.write_batch(puts={cache.EPISODES: [(episode.pk.hex, value, "0" * 64)]})
    details = _failed(sync_verify())["content_hashes"]
    assert details["mismatches"] == 1
    item = details["items"][0]
    assert item["key"] == episode.pk.hex
    assert "the cache registry differs from the database" in item["problems"]
    assert "the cached payload differs from the registry" in item["problems"]


def test_row_changed_behind_the_services_back_is_caught() -> None:
    episode = seed(2)[0]
    sync()
    Episode.objects.filter(pk=episode.pk).update(task_description="edited in SQL")
    details = _failed(sync_verify())["content_hashes"]
    assert details["items"][0]["problems"] == ["the database row's stored hash is stale"]


def test_missing_latest_episode_is_caught() -> None:
    episodes = seed(3)
    sync()
    with cache.cache_writer() as writer:
        writer.write_batch(deletes={cache.EPISODES: [episodes[-1].pk.hex]})
    failed = _failed(sync_verify())
    assert failed["episode_count"] == {"cached": 2, "expected": 3}
    assert failed["latest_present"]["missing"] == [episodes[-1].pk.hex]


def test_value_without_registry_entry_is_caught() -> None:
    import redb_cache

    seed(1)
    sync()
    with redb_cache.open_writer(cache.cache_path()) as w, w.transaction() as txn:
        txn.put(cache.HEURISTICS, "999999", b"MA\x01\x00{}")
    failed = _failed(sync_verify())
    assert failed["registry_consistent"]["heuristics"]["without_hash"] == ["999999"]


def test_sample_versus_full(monkeypatch) -> None:
    episode = seed(4)[2]
    sync()
    monkeypatch.setattr(validation_module, "SAMPLE", 2)
    sampled = sync_verify()
    hashes = sampled.checks.get(name="content_hashes").details
    assert hashes["compared"] <= 2 * 3 and not hashes["full"]
    full = sync_verify(full=True)
    assert full.checks.get(name="content_hashes").details["compared"] > hashes["compared"]
    # Only the full check re-chains the steps: a step edited in SQL shows there.
    ExecutionStep.objects.filter(episode=episode, step_number=1).update(observation="edited")
    monkeypatch.setattr(validation_module, "SAMPLE", 50)
    assert sync_verify().passed
    problems = _failed(sync_verify(full=True))["content_hashes"]["items"][0]["problems"]
    assert problems == ["the database row's stored hash is stale"]


def test_missing_cache_file_fails() -> None:
    report = sync_verify()
    assert not report.passed and _failed(report)["cache_file"]["error"].endswith("does not exist")
