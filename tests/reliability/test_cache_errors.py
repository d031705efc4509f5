"""A cache write that fails on a full disk reports the disk, not redb's follow-up error.

Found by `make reliability` (scenario disk): on ENOSPC, ``handle.close()``
raised "Previous I/O error occurred. Please close and re-open the database."
and that replaced the real cause in the sync run's error.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redb_cache

from hotcache import cache


def _items(start: int, n: int = 200) -> list[tuple[str, Any, str]]:
    # Random text: the envelope compresses, and the disk must fill.
    return [
        (f"{i:08d}", {"text": os.urandom(500).hex()}, "0" * 64) for i in range(start, start + n)
    ]


class _FailingClose:
    """A real writer whose close() fails the way redb's does after an I/O error."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)

    def close(self) -> None:
        self.handle.close()
        raise redb_cache.CacheIOError("Previous I/O error occurred. Please close and re-open")


def test_the_cause_survives_a_failing_close(tmp_path: Path, monkeypatch: Any) -> None:
    real = cache._open_with_backoff
    monkeypatch.setattr(cache, "_open_with_backoff", lambda *a: _FailingClose(real(*a)))
    failing = redb_cache.CacheIOError
    with pytest.raises(failing, match="No space left"), cache.cache_writer(path=tmp_path / "c"):
        raise redb_cache.CacheIOError("I/O error: No space left on device (os error 28)")
    assert not cache.intent_path(tmp_path / "c").exists()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs: a real ENOSPC (needs the right to mount, as root in CI)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_is_named_in_the_error(tiny_disk: Path) -> None:
    path = tiny_disk / "cache.redb"
    with pytest.raises(redb_cache.CacheIOError) as raised:
        for batch in range(20):  # a writer per batch, as the sync engine opens them
            with cache.cache_writer(path=path) as writer:
                writer.write_batch(puts={cache.EPISODES: _items(batch * 200)})
    assert "No space left on device" in str(raised.value)
