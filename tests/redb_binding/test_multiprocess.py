"""Locking across processes: readers share the file, a writer excludes everyone."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from subprocess import Popen

import pytest
import redb_cache

from tests.redb_binding.procs import expect_line, release

HOLD_READER = """
import sys, redb_cache
reader = redb_cache.open_reader(sys.argv[1])
print("open", flush=True)
sys.stdin.readline()  # keep the file open until the test says "go"
assert reader.get("users", b"user:1") == b"name-1", reader.get("users", b"user:1")
assert len(reader.scan("users")) == 5
reader.close()
print("done", flush=True)
"""

HOLD_WRITER = """
import sys, redb_cache
writer = redb_cache.open_writer(sys.argv[1])
print("open", flush=True)
sys.stdin.readline()
writer.close()
"""


def busy_within(open_call: Callable[[], object], budget_s: float) -> float:
    """Asserts `open_call` raises CacheBusy, and does so within `budget_s`; returns seconds."""
    started = time.perf_counter()
    with pytest.raises(redb_cache.CacheBusy):
        open_call()
    elapsed = time.perf_counter() - started
    assert elapsed < budget_s, f"CacheBusy took {elapsed * 1000:.1f} ms"
    return elapsed


def test_many_reader_processes_at_once(
    filled_path: Path, children: Callable[..., Popen[str]]
) -> None:
    readers = [children(HOLD_READER, filled_path) for _ in range(4)]
    for child in readers:
        expect_line(child, "open")
    # All four hold the file now; this process can read too.
    with redb_cache.open_reader(filled_path) as reader:
        assert len(reader.scan("users")) == 5
    for child in readers:
        release(child)


def test_reader_while_another_process_writes_is_busy_quickly(
    filled_path: Path, children: Callable[..., Popen[str]]
) -> None:
    child = children(HOLD_WRITER, filled_path)
    expect_line(child, "open")
    busy_within(lambda: redb_cache.open_reader(filled_path), 0.05)
    busy_within(lambda: redb_cache.open_writer(filled_path), 0.05)
    release(child)
    with redb_cache.open_reader(filled_path) as reader:
        assert len(reader.scan("users")) == 5


def test_writer_while_another_process_reads_is_busy(
    filled_path: Path, children: Callable[..., Popen[str]]
) -> None:
    child = children(HOLD_READER, filled_path)
    expect_line(child, "open")
    busy_within(lambda: redb_cache.open_writer(filled_path), 0.05)
    release(child)
    redb_cache.open_writer(filled_path).close()


def test_lock_is_released_when_the_holder_dies(
    filled_path: Path, children: Callable[..., Popen[str]]
) -> None:
    child = children(HOLD_WRITER, filled_path)
    expect_line(child, "open")
    child.kill()
    child.wait(timeout=10)
    # The dead writer left the file marked for recovery; a writer repairs it.
    with pytest.raises(redb_cache.CacheNeedsRepair):
        redb_cache.open_reader(filled_path)
    redb_cache.open_writer(filled_path).close()
    with redb_cache.open_reader(filled_path) as reader:
        assert len(reader.scan("users")) == 5


def test_open_get_close_is_fast(filled_path: Path) -> None:
    # The per-request pattern Django uses. ~30 us here; the bound only catches gross regressions.
    rounds = 300
    started = time.perf_counter()
    for _ in range(rounds):
        with redb_cache.open_reader(filled_path) as reader:
            reader.get("users", b"user:3")
    per_round = (time.perf_counter() - started) / rounds
    assert per_round < 0.002, f"open+get+close took {per_round * 1e6:.0f} us"
