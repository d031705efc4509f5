"""One run at a time per cache file; abandoned runs are detected and resumed."""

from __future__ import annotations

import socket
import subprocess
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from hotcache import cache
from sync.models import SyncRun
from sync.models.runs import Status
from sync.services import sync_run_execute, sync_run_start
from sync.services.runs import active_run, cache_key, claim_run, release_run
from tests.sync.conftest import dump_cache, seed, sync

pytestmark = pytest.mark.django_db


class Stop(Exception):
    pass


def test_a_second_start_returns_the_active_run() -> None:
    first = sync_run_start()
    assert first.status == Status.QUEUED
    assert sync_run_start(scope="patterns", dry_run=True).pk == first.pk
    claim_run(first.pk)
    try:
        again = sync_run_start()
        assert again.pk == first.pk and again.status == Status.RUNNING
        assert active_run().pk == first.pk
        # A second executor cannot claim it.
        assert sync_run_execute(run_id=first.pk).status == Status.RUNNING
    finally:
        release_run(first.pk)


def test_the_unique_index_is_the_backstop() -> None:
    SyncRun.objects.create(cache_key=cache_key(), status=Status.RUNNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncRun.objects.create(cache_key=cache_key(), status=Status.QUEUED)
    SyncRun.objects.create(cache_key="/elsewhere.redb", status=Status.QUEUED)  # other file: fine
    SyncRun.objects.create(cache_key=cache_key(), status=Status.SUCCEEDED)  # finished: fine


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize(
    "owner, beat_age",
    [
        (f"{socket.gethostname()}:{_dead_pid()}", 0),  # its process is gone
        ("another-host:1234", 3600),  # no heartbeat for an hour
    ],
)
def test_abandoned_runs_are_replaced(owner: str, beat_age: int) -> None:
    beat = timezone.now() - timedelta(seconds=beat_age)
    stale = SyncRun.objects.create(
        cache_key=cache_key(),
        status=Status.RUNNING,
        owner=owner,
        started_at=beat,
        heartbeat_at=beat,
    )
    run = sync_run_start()
    assert run.pk != stale.pk and run.status == Status.QUEUED
    stale.refresh_from_db()
    assert stale.status == Status.FAILED and stale.error.startswith("interrupted:")


def test_a_live_run_elsewhere_is_respected() -> None:
    live = SyncRun.objects.create(
        cache_key=cache_key(),
        status=Status.RUNNING,
        owner="another-host:1",
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    assert sync_run_start().pk == live.pk


def test_a_failed_run_is_resumed_and_ends_like_an_uninterrupted_one(tmp_path, settings) -> None:
    seed(12)
    reference = tmp_path / "reference.redb"
    settings.REDB_CACHE_PATH = reference
    sync(batch_size=3)
    expected = dump_cache(reference)
    settings.REDB_CACHE_PATH = tmp_path / "cache.redb"

    batches = 0

    def stop_at_third(run: SyncRun) -> None:
        nonlocal batches
        batches += 1
        if batches == 4:  # the first call reports the totals, then one per batch
            raise Stop("stopped mid-run")

    first = sync_run_start(batch_size=3)
    first = sync_run_execute(run_id=first.pk, on_progress=stop_at_third)
    assert first.status == Status.FAILED
    # The cache holds the three batches (the writer was closed cleanly); the row only
    # ever gets a checkpoint the cache holds durably, so it may lag, never lead.
    assert cache.cache_metadata("checkpoint")["batches"] == 3
    assert first.checkpoint["batches"] <= 3
    second = sync(batch_size=3)
    assert second.resumed_from_id == first.pk
    assert second.new_count < first.progress_total  # it did not start over
    assert any("resumed from run" in w for w in second.warnings)
    assert dump_cache() == expected


def test_a_crashed_run_in_this_process_is_abandoned_and_resumed(settings) -> None:
    seed(6)
    settings.SYNC_WRITER_HOLD_SECONDS = 0  # every batch durable, so the row has batch 1

    def crash(run: SyncRun) -> None:
        if run.checkpoint.get("batches") == 1:
            raise SystemExit("the worker died")  # not an Exception: no clean ending

    first = sync_run_start(batch_size=2)
    with pytest.raises(SystemExit):
        sync_run_execute(run_id=first.pk, on_progress=crash)
    first.refresh_from_db()
    assert first.status == Status.RUNNING  # left behind, as after kill -9
    second = sync(batch_size=2)
    first.refresh_from_db()
    assert first.status == Status.FAILED and "no longer executing" in first.error
    assert second.resumed_from_id == first.pk and second.status == Status.SUCCEEDED
