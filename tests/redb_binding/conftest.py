"""Fixtures for the redb binding tests: real redb files in a temp dir, and child processes."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redb_cache

from tests.redb_binding.procs import spawn


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cache.redb"


@pytest.fixture
def writer(db_path: Path) -> Iterator[redb_cache.Writer]:
    with redb_cache.open_writer(db_path) as handle:
        yield handle


@pytest.fixture
def filled_path(db_path: Path) -> Path:
    """A closed file with tables `users` (user:0..user:4) and `empty` (no entries)."""
    with redb_cache.open_writer(db_path) as w, w.transaction() as txn:
        txn.put_many("users", [(f"user:{i}".encode(), f"name-{i}".encode()) for i in range(5)])
        txn.put("empty", b"x", b"")
        txn.delete("empty", b"x")
    return db_path


@pytest.fixture
def children() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """`start(code, *args)` spawns a child; any still running at teardown is killed."""
    started: list[subprocess.Popen[str]] = []

    def start(code: str, *args: str | Path) -> subprocess.Popen[str]:
        proc = spawn(code, *args)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)
