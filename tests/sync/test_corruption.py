"""A damaged cache is repaired, or moved aside (kept) and rebuilt with nothing lost."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from hotcache import cache
from sync.models import SyncRun
from sync.models.runs import Status
from sync.selectors import validation_latest
from sync.services import sync_run_execute, sync_run_start
from tests.conftest import PYTHON, ROOT
from tests.sync.conftest import dump_cache, seed, sync

pytestmark = pytest.mark.django_db


def _garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[0:4096] = b"\xde\xad\xbe\xef" * 1024
    path.write_bytes(bytes(data))


def _quarantined(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".corrupt-*"))


def test_damaged_file_is_kept_aside_and_rebuilt(settings) -> None:
    seed(5)
    sync()
    expected = dump_cache()
    path = settings.REDB_CACHE_PATH
    _garble(path)
    damaged = path.read_bytes()
    assert cache.cache_get(cache.EPISODES, "x").status == "corrupt"
    run = sync()
    assert run.status == Status.SUCCEEDED
    assert any("moved to" in w for w in run.warnings)
    (aside,) = _quarantined(path)
    assert aside.read_bytes() == damaged  # kept as it was, never deleted
    assert dump_cache() == expected  # nothing lost: rebuilt from the database
    assert validation_latest(run_id=run.pk).passed


def test_damage_mid_run_restarts_on_a_fresh_file(settings) -> None:
    seed(6)
    path = settings.REDB_CACHE_PATH
    # Release the writer after every batch, so the damage lands between two opens
    # (while the engine holds the file, its own writes would cover it).
    settings.SYNC_WRITER_HOLD_SECONDS = 0

    def damage_after_first_batch(run: SyncRun) -> None:
        if run.checkpoint.get("batches") == 1 and not _quarantined(path):
            _garble(path)

    run = sync_run_start(batch_size=2)
    run = sync_run_execute(run_id=run.pk, on_progress=damage_after_first_batch)
    assert run.status == Status.SUCCEEDED, run.error
    assert len(_quarantined(path)) == 1
    assert any("damaged mid-run" in w for w in run.warnings)
    assert validation_latest(run_id=run.pk).passed


CRASH = textwrap.dedent(
    """
    import os, signal, sys, redb_cache
    w = redb_cache.open_writer(sys.argv[1])
    txn = w.transaction()
    txn.put("episodes", "half", b"written")
    os.kill(os.getpid(), signal.SIGKILL)  # die holding an open write transaction
    """
)


def test_a_writer_killed_mid_transaction_is_repaired(settings) -> None:
    seed(3)
    sync()
    expected = dump_cache()
    proc = subprocess.run(
        [PYTHON, "-c", CRASH, str(settings.REDB_CACHE_PATH)], cwd=ROOT, timeout=30
    )
    assert proc.returncode == -9
    assert cache.cache_get(cache.EPISODES, "half").status == "busy"  # CacheNeedsRepair
    run = sync()
    assert run.status == Status.SUCCEEDED and run.unchanged_count == run.progress_total
    assert dump_cache() == expected  # the uncommitted "half" never appears
    assert not _quarantined(settings.REDB_CACHE_PATH)
    assert cache.cache_get(cache.EPISODES, "half").status == "miss"
