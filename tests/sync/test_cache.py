"""hotcache/cache.py on real redb files: envelope, reads, fallbacks, writer intent."""

from __future__ import annotations

import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from hotcache import cache
from hotcache.envelope import EnvelopeError, pack, unpack
from tests.conftest import PYTHON, ROOT


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "cache.redb"


def _fill(path: Path, n: int = 3) -> None:
    with cache.cache_writer(path=path) as writer:
        writer.write_batch(
            puts={cache.EPISODES: [(f"e{i}", {"id": f"e{i}", "n": i}, f"h{i}") for i in range(n)]},
            metadata={"checkpoint": 42},
        )


def test_envelope_round_trip_and_foreign_versions() -> None:
    small, big = {"a": 1}, {"text": "x" * 5000}
    assert unpack(pack(small)) == small and unpack(pack(big)) == big
    assert len(pack(big)) < 200  # compressed
    with pytest.raises(EnvelopeError, match="version 9"):
        unpack(b"MA\x09\x00{}")
    with pytest.raises(EnvelopeError, match="not a memory-admin"):
        unpack(b"{}")


def test_write_then_read_with_registry_and_metadata(path: Path) -> None:
    _fill(path)
    assert cache.cache_get(cache.EPISODES, "e1", path=path).value == {"id": "e1", "n": 1}
    reads = cache.cache_get_many(cache.EPISODES, ["e0", "zz"], path=path)
    assert [r.status for r in reads] == ["hit", "miss"]
    assert cache.cache_metadata("checkpoint", path=path) == 42
    assert cache.cache_metadata("schema_version", path=path) == cache.SCHEMA_VERSION
    with cache.cache_writer(path=path) as writer:
        assert writer.hashes(cache.EPISODES, ["e0", "e2", "nope"]) == {"e0": "h0", "e2": "h2"}
        writer.write_batch(deletes={cache.EPISODES: ["e0"]})
        assert writer.hashes(cache.EPISODES, ["e0"]) == {}
        assert sorted(writer.keys(cache.EPISODES)) == ["e1", "e2"]


def test_missing_file_and_table_fall_back(path: Path) -> None:
    assert cache.cache_get(cache.EPISODES, "e1", path=path).status == "unavailable"
    _fill(path)
    assert cache.cache_get(cache.PATTERNS, "1", path=path).status == "miss"


def test_foreign_envelope_is_reported_not_misread(path: Path) -> None:
    import redb_cache

    _fill(path)
    with redb_cache.open_writer(path) as w, w.transaction() as txn:
        txn.put(cache.EPISODES, "old", b"MA\x07\x00{}")
    assert cache.cache_get(cache.EPISODES, "old", path=path).status == "format"


HOLD_WRITER = textwrap.dedent(
    """
    import sys, time, redb_cache
    w = redb_cache.open_writer(sys.argv[1])
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    w.close()
    """
)


def test_reader_falls_back_fast_while_another_process_writes(path: Path) -> None:
    _fill(path)
    busy_before = cache.read_counters().get("busy", 0)  # this process's counters so far
    holder = subprocess.Popen(
        [PYTHON, "-c", HOLD_WRITER, str(path), "3"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    started = time.perf_counter()
    read = cache.cache_get(cache.EPISODES, "e1", path=path)
    elapsed = time.perf_counter() - started
    holder.kill()
    holder.wait()
    assert read.status == "busy"
    assert elapsed < 0.05  # never waits for the writer
    assert cache.read_counters()["busy"] == busy_before + 1


def test_writer_intent_makes_readers_step_aside(path: Path) -> None:
    _fill(path)
    cache.intent_path(path).touch()
    try:
        assert cache.cache_get(cache.EPISODES, "e1", path=path).status == "busy"
    finally:
        cache.intent_path(path).unlink()
    assert cache.cache_get(cache.EPISODES, "e1", path=path).hit


READ_LOOP = textwrap.dedent(
    """
    import os, sys, time
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django; django.setup()
    from hotcache import cache
    from pathlib import Path
    path, until = Path(sys.argv[1]), time.monotonic() + float(sys.argv[2])
    cache.cache_get(cache.EPISODES, "e1", path=path); n = 1
    print("reading", flush=True)
    while time.monotonic() < until:
        cache.cache_get(cache.EPISODES, "e1", path=path); n += 1
    print(n, cache.read_counters().get("hit", 0), flush=True)
    """
)


def test_writer_gets_in_under_steady_read_traffic(path: Path, project_env) -> None:
    _fill(path)
    readers = [
        subprocess.Popen(
            [PYTHON, "-c", READ_LOOP, str(path), "4"],
            stdout=subprocess.PIPE,
            text=True,
            env=project_env,
            cwd=ROOT,
        )
        for _ in range(3)
    ]
    for reader in readers:  # each has read once and is now hammering the file
        assert reader.stdout is not None and reader.stdout.readline().strip() == "reading"
    started = time.monotonic()
    for i in range(5):
        with cache.cache_writer(path=path, deadline=3) as writer:
            writer.write_batch(puts={cache.EPISODES: [(f"w{i}", {"i": i}, "h")]})
    took = time.monotonic() - started
    outputs = [r.communicate(timeout=30)[0].split() for r in readers]
    assert took < 3
    assert all(int(hits) > 0 for _, hits in outputs), outputs
    assert cache.cache_get(cache.EPISODES, "w4", path=path).value == {"i": 4}


def test_corrupt_file_is_reported_then_quarantined(path: Path) -> None:
    _fill(path)
    data = bytearray(path.read_bytes())
    data[0:4096] = b"\xde\xad\xbe\xef" * 1024
    path.write_bytes(bytes(data))
    assert cache.cache_get(cache.EPISODES, "e1", path=path).status == "corrupt"
    aside = cache.cache_quarantine(path=path)
    assert aside is not None and aside.exists() and not path.exists()
    _fill(path)  # a fresh file takes its place
    assert cache.cache_get(cache.EPISODES, "e1", path=path).hit
