"""A writer killed with SIGKILL, or failing on a full disk, loses exactly its uncommitted work."""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import Popen

import pytest
import redb_cache

from tests.redb_binding.helpers import committed_items
from tests.redb_binding.procs import expect_line, read_line, run

COMMITTED = 2000

MID_TRANSACTION = """
import sys, redb_cache
path, quick_repair = sys.argv[1], sys.argv[2] == "1"
w = redb_cache.open_writer(path)
with w.transaction(quick_repair=quick_repair) as txn:
    txn.put_many("data", ((b"c%06d" % i, b"committed") for i in range(COMMITTED)))
    txn.put("meta", b"state", b"committed")
txn = w.transaction(quick_repair=quick_repair)
txn.put("data", b"c000000", b"overwritten")
txn.delete("data", b"c000001")
txn.clear("meta")
txn.put("uncommitted_table", b"k", b"v")
print("ready", flush=True)
i = 0
while True:  # keep redb busy writing (and spilling pages to the file) until killed
    txn.put_many("data", ((b"u%09d" % (i + j), b"x" * 200) for j in range(1000)))
    i += 1000
""".replace("COMMITTED", str(COMMITTED))

COMMIT_LOOP = """
import sys, redb_cache
w = redb_cache.open_writer(sys.argv[1])
batch = 0
while True:
    with w.transaction() as txn:
        txn.put_many("batches", ((b"%05d:%04d" % (batch, j), b"v" * 64) for j in range(200)))
        txn.put("meta", b"last", b"%05d" % batch)
    print(batch, flush=True)
    batch += 1
"""


def reopen_and_check_committed(path: Path) -> None:
    # A reader refuses the file until a writer has recovered it.
    with pytest.raises(redb_cache.CacheNeedsRepair):
        redb_cache.open_reader(path)
    with redb_cache.open_writer(path, create=False) as w:
        assert w.check_integrity() is True
    with redb_cache.open_reader(path) as reader:
        assert reader.list_tables() == ["data", "meta"]
        assert len(reader.scan("data")) == COMMITTED
        assert reader.get("data", b"c000000") == b"committed"
        assert reader.get("data", b"c000001") == b"committed"
        assert reader.get("meta", b"state") == b"committed"
        assert reader.scan("data", prefix=b"u") == []


@pytest.mark.parametrize("quick_repair", [False, True], ids=["full-repair", "quick-repair"])
def test_kill_mid_transaction_keeps_committed_data_only(
    db_path: Path, children: Callable[..., Popen[str]], quick_repair: bool
) -> None:
    child = children(MID_TRANSACTION, db_path, "1" if quick_repair else "0")
    expect_line(child, "ready")
    time.sleep(0.3)  # let it write well into the transaction
    assert child.poll() is None, "the writer should still be running"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    reopen_and_check_committed(db_path)


def test_kill_during_commit_loop_keeps_whole_batches(
    db_path: Path, children: Callable[..., Popen[str]]
) -> None:
    child = children(COMMIT_LOOP, db_path)
    last_reported = -1
    target = 5
    while last_reported < target:
        line = read_line(child)
        assert line, f"writer died: {child.communicate(timeout=10)[1]}"
        last_reported = int(line)
    time.sleep(random.uniform(0, 0.05))  # land the kill anywhere in a later batch or commit
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)

    with redb_cache.open_writer(db_path, create=False) as w:
        keys = w.keys("batches")
        last = int(w.get("meta", b"last") or b"-1")
    per_batch: dict[int, int] = {}
    for key in keys:
        batch = int(key.split(b":")[0])
        per_batch[batch] = per_batch.get(batch, 0) + 1
    # Every batch whose commit returned is there; a batch is all-or-nothing; the batches form
    # a prefix 0..last, and `meta` agrees with them (same transactions).
    assert last >= last_reported
    assert sorted(per_batch) == list(range(last + 1))
    assert set(per_batch.values()) == {200}


FULL_DISK = """
import resource, signal, sys, redb_cache
# A file-size limit makes writes past 4 MiB fail (EFBIG) the way a full disk fails them (ENOSPC).
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
w = redb_cache.open_writer(sys.argv[1])
with w.transaction() as txn:
    txn.put("t", b"kept", b"1")
resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, 4 << 20))
try:
    with w.transaction() as txn:
        txn.put_many("t", ((b"%08d" % i, b"x" * 1000) for i in range(20000)))
except redb_cache.CacheIOError:
    print("io-error", flush=True)
try:
    w.close()
except redb_cache.CacheIOError:
    pass
"""


def test_full_disk_is_an_io_error_and_keeps_committed_data(db_path: Path) -> None:
    result = run(FULL_DISK, db_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "io-error"
    with redb_cache.open_writer(db_path, create=False) as w:
        assert committed_items(w, "t") == [(b"kept", b"1")]
        assert w.check_integrity() is True
