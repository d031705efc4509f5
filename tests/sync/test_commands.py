"""The management commands, in-process: flags, progress bars, JSON, exit codes."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import Schedule

from hotcache import cache
from sync.models import FailedItem, SyncRun
from tests.sync.conftest import seed

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_sync_memories_prints_a_progress_bar_and_a_summary() -> None:
    seed(3)
    out = _run("sync_memories", "--batch-size", "2", "--tags", "nightly,first")
    assert "\r" in out and "] 3/" in out
    assert "succeeded: new=" in out and "next recommended sync" in out
    run = SyncRun.objects.get()
    assert run.tags == ["first", "nightly"] and run.batch_size == 2


def test_sync_memories_json_dry_run_with_rules() -> None:
    seed(3)
    data = json.loads(
        _run(
            "sync_memories",
            "--dry-run",
            "--json",
            "--exclude",
            "domain:payments",
            "--scope",
            "episodes",
        )
    )
    assert data["dry_run"] and data["status"] == "succeeded" and data["scope"] == "episodes"
    assert data["counts"]["excluded"] == 1 and data["counts"]["new"] == 2
    assert data["preview"]["estimate"]["entries_added"] == 2
    assert not cache.cache_path().exists()
    with pytest.raises(CommandError, match="exclude rule"):
        _run("sync_memories", "--exclude", "colour:blue")


def test_verify_cache_and_its_exit_code() -> None:
    episodes = seed(2)
    _run("sync_memories")
    assert "8/8 checks passed" in _run("verify_cache", "--full")
    data = json.loads(_run("verify_cache", "--json"))
    assert data["passed"] and len(data["checks"]) == 8
    with cache.cache_writer() as writer:
        writer.write_batch(deletes={cache.EPISODES: [episodes[0].pk.hex]})
    with pytest.raises(CommandError, match="failed: 6/8 checks passed"):
        _run("verify_cache")


def test_rebuild_cache_refills_everything() -> None:
    seed(2)
    _run("sync_memories")
    with cache.cache_writer() as writer:
        writer.write_batch(puts={cache.EPISODES: [("stray", {"x": 1}, "h")]})
    out = _run("rebuild_cache")
    assert "succeeded" in out and "cache emptied" in out
    assert cache.cache_get(cache.EPISODES, "stray").status == "miss"
    assert SyncRun.objects.latest("pk").new_count == SyncRun.objects.latest("pk").progress_total


def test_retry_failed_command(settings) -> None:
    seed(2)
    settings.SYNC_MAX_ITEM_BYTES = 10  # everything fails
    _run("sync_memories")
    assert FailedItem.objects.count() > 0
    settings.SYNC_MAX_ITEM_BYTES = 10**7
    out = _run("retry_failed", "--all")
    assert "resolved=" in out
    assert not FailedItem.objects.exclude(state="resolved").exists()
    assert "due=0" in _run("retry_failed")


def test_setup_schedules_is_idempotent() -> None:
    first = _run("setup_schedules")
    assert first.count("created") == 5
    nightly = Schedule.objects.get(name="sync-verify-nightly")
    next_run = nightly.next_run
    Schedule.objects.filter(name="sync-periodic").update(minutes=99)
    assert _run("setup_schedules").count("updated") == 5
    assert Schedule.objects.filter(name__startswith="sync-").count() == 4
    assert Schedule.objects.filter(name="scheduler-heartbeat").count() == 1
    assert Schedule.objects.get(name="sync-periodic").minutes == 5
    assert Schedule.objects.get(name="sync-verify-nightly").next_run == next_run
    assert (next_run.hour, next_run.minute) == (3, 30)
