"""Batches committed without fsync inside a hold: a kill -9 keeps the cache and the run's
checkpoint consistent (real processes, a real redb file, the real libSQL engine)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest
import redb_cache

from hotcache.envelope import unpack
from tests.conftest import PYTHON, ROOT
from tests.sync.conftest import dump_cache
from tests.sync.test_processes import _env, _manage, _sync_json, data, template

pytestmark = pytest.mark.slow
__all__ = ["data", "template"]  # the fixtures, shared with test_processes

BATCH = 5

# Batches 1..durable are each made durable (hold 0); from then on the hold never ends by
# time, so batches durable+1..kill_at are committed without fsync; at batch kill_at the
# process kills itself (no clean close, no final durable commit).
KILLED_IN_A_HOLD = textwrap.dedent(
    """
    import os, signal, sys, django
    django.setup()
    from django.conf import settings
    from sync.services import sync_run_execute, sync_run_start
    durable, kill_at, batch = (int(a) for a in sys.argv[1:4])
    settings.SYNC_WRITER_HOLD_SECONDS = 0

    def hook(run):
        done = run.progress_done // batch
        if done >= durable:
            settings.SYNC_WRITER_HOLD_SECONDS = 3600
        if done >= kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    run = sync_run_start(batch_size=batch)
    sync_run_execute(run_id=run.pk, on_progress=hook)
    """
)


def _kill_in_a_hold(env: dict[str, str], durable: int, kill_at: int) -> None:
    args = [str(durable), str(kill_at), str(BATCH)]
    proc = subprocess.run(
        [PYTHON, "-c", KILLED_IN_A_HOLD, *args], env=env, cwd=ROOT, capture_output=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]


def _row_checkpoint(data: Path) -> dict:
    with sqlite3.connect(data / "memory.db") as db:
        (text,) = db.execute("SELECT checkpoint FROM sync_syncrun ORDER BY id DESC").fetchone()
    return json.loads(text)


def _cache_state(path: Path) -> tuple[dict | None, int]:
    """(the cache's checkpoint, episodes cached), after redb's repair of the crashed file."""
    with redb_cache.open_writer(path) as writer:
        tables = writer.list_tables()
        blob = writer.get("metadata", "checkpoint") if "metadata" in tables else None
        episodes = writer.count("episodes") if "episodes" in tables else 0
    return (unpack(blob) if blob else None), episodes


@pytest.mark.parametrize(("durable", "kill_at"), [(0, 4), (3, 7)])
def test_kill_inside_a_hold_rolls_back_to_the_last_durable_batch(
    data: Path, durable: int, kill_at: int
) -> None:
    reference = _env(data, REDB_CACHE_PATH=str(data / "reference.redb"))
    first = _sync_json(reference, "--batch-size", str(BATCH))
    expected = dump_cache(data / "reference.redb")
    path = data / "cache.redb"
    env = _env(data, REDB_CACHE_PATH=str(path))

    _kill_in_a_hold(env, durable, kill_at)
    # The non-durable batches are gone, their checkpoint with them: the cache holds exactly
    # the durable batches and says so; the run's row claims no more than that.
    checkpoint, episodes = _cache_state(path)
    assert episodes == durable * BATCH
    assert (checkpoint or {}).get("batches", 0) == durable
    assert _row_checkpoint(data).get("batches", 0) == durable

    resumed = _sync_json(env, "--batch-size", str(BATCH))
    assert resumed["status"] == "succeeded", resumed
    assert resumed["resumed_from"] is not None
    assert resumed["counts"]["new"] == first["counts"]["new"] - durable * BATCH
    assert dump_cache(path) == expected
    assert _manage(env, "verify_cache", "--full", check=False).returncode == 0
