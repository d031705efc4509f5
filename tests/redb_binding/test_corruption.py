"""Damaged files raise CacheCorrupted (or are repaired), and never crash the interpreter.

redb may panic on a file altered outside redb; the binding turns panics into CacheCorrupted.
The random-damage cases run in child processes, so a crash would show as a dead child rather
than take pytest down with it.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest
import redb_cache

from tests.redb_binding.procs import run

SEEDS = 60

# Opens every damaged file given and reads everything in it, printing one JSON line per file:
# the exception class name, or "ok". Every third file is left for the garbage collector
# instead of being closed, so the drop path (which writes to the file) is exercised too.
PROBE = """
import gc, json, sys, redb_cache
mode, paths = sys.argv[1], sys.argv[2:]

def read_everything(handle):
    for table in handle.list_tables():
        if mode == "reader":
            handle.scan(table)
        else:
            handle.get_many(table, handle.keys(table))
            handle.count(table)
        handle.get_many(table, [b"k00001", b"k02999"])

for n, path in enumerate(paths):
    outcome = "ok"
    handle = None
    try:
        if mode == "reader":
            handle = redb_cache.open_reader(path)
            read_everything(handle)
        else:
            handle = redb_cache.open_writer(path, create=False)
            outcome = "intact" if handle.check_integrity() else "repaired"
            read_everything(handle)
            with handle.transaction() as txn:
                txn.put("t0", b"after", b"damage")
    except redb_cache.CacheError as exc:
        outcome = type(exc).__name__
    if handle is not None and n % 3:
        try:
            handle.close()
        except redb_cache.CacheError:
            pass
    handle = None
    gc.collect()
    print(json.dumps([path, outcome]), flush=True)
"""


def make_base(path: Path) -> None:
    rnd = random.Random(0)
    with redb_cache.open_writer(path) as w:
        for t in range(3):
            with w.transaction() as txn:
                txn.put_many(f"t{t}", ((b"k%05d" % i, rnd.randbytes(50)) for i in range(3000)))


def damage(base: Path, target: Path, seed: int) -> None:
    """Random garbage at random offsets; every fifth file is also truncated."""
    rnd = random.Random(seed)
    shutil.copy(base, target)
    size = target.stat().st_size
    with target.open("r+b") as f:
        for _ in range(rnd.randint(1, 20)):
            f.seek(rnd.randrange(size))
            f.write(rnd.randbytes(rnd.randint(1, 512)))
        if seed % 5 == 0:
            f.truncate(rnd.randrange(size))


@pytest.fixture(scope="module")
def damaged_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("damaged")
    base = folder / "base.redb"
    make_base(base)
    files = []
    for seed in range(SEEDS):
        target = folder / f"damaged-{seed}.redb"
        damage(base, target, seed)
        files.append(target)
    return files


@pytest.mark.parametrize("mode", ["reader", "writer"])
def test_random_damage_never_crashes(damaged_files: list[Path], tmp_path: Path, mode: str) -> None:
    # Each mode works on its own copies: the writer repairs files in place.
    copies = []
    for original in damaged_files:
        copy = tmp_path / original.name
        shutil.copy(original, copy)
        copies.append(copy)
    result = run(PROBE, mode, *copies, timeout=120)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, (
        f"child died ({result.returncode}) after {len(lines)} files; last: "
        f"{lines[-1:]}\n{result.stderr[-2000:]}"
    )
    outcomes = [json.loads(line)[1] for line in lines]
    assert len(outcomes) == SEEDS
    allowed = {"ok", "CacheCorrupted", "CacheNeedsRepair"}
    if mode == "writer":
        allowed = {"intact", "repaired", "CacheCorrupted"}
    assert set(outcomes) <= allowed, outcomes
    # The damage is real: many files are detected as corrupted (fewer by the reader, since
    # redb checks page checksums on repair and check_integrity, not on every read).
    assert outcomes.count("CacheCorrupted") >= SEEDS // 4, outcomes


def test_pure_garbage_file(db_path: Path) -> None:
    db_path.write_bytes(random.Random(1).randbytes(1 << 20))
    with pytest.raises(redb_cache.CacheCorrupted, match=r"Not a redb database|magic"):
        redb_cache.open_reader(db_path)
    with pytest.raises(redb_cache.CacheCorrupted):
        redb_cache.open_writer(db_path)
    with pytest.raises(redb_cache.CacheCorrupted):
        redb_cache.open_writer(db_path, create=False)


def test_clobbered_header(filled_path: Path) -> None:
    with filled_path.open("r+b") as f:
        f.write(os.urandom(64))
    with pytest.raises(redb_cache.CacheCorrupted):
        redb_cache.open_reader(filled_path)
    with pytest.raises(redb_cache.CacheCorrupted):
        redb_cache.open_writer(filled_path)


def test_truncated_file(filled_path: Path) -> None:
    with filled_path.open("r+b") as f:
        f.truncate(100)
    with pytest.raises(redb_cache.CacheCorrupted):
        redb_cache.open_reader(filled_path)
    with pytest.raises(redb_cache.CacheCorrupted):
        redb_cache.open_writer(filled_path)


def test_garbage_in_data_pages_is_found_by_check_integrity(tmp_path: Path) -> None:
    path = tmp_path / "cache.redb"
    make_base(path)
    size = path.stat().st_size
    # Overwrite the whole data area after the header region with a repeating pattern.
    with path.open("r+b") as f:
        f.seek(8192)
        f.write(b"\xa5" * (size - 8192))
    result = run(
        """
        import sys, redb_cache
        try:
            with redb_cache.open_writer(sys.argv[1], create=False) as w:
                print("intact" if w.check_integrity() else "repaired")
        except redb_cache.CacheError as exc:
            print(type(exc).__name__)
        """,
        path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "CacheCorrupted"
