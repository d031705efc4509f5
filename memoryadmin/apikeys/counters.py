"""Per-minute request counters shared by every worker process through one small file.

Every API request of a key is counted; doing that in the database cost a write
transaction per request (an UPSERT and its commit, even for a GET). The counts
only need to be shared between the processes of one machine and to live for a
minute, so they sit in a memory-mapped file of fixed slots, guarded by an
exclusive ``flock`` held for a few microseconds.

Layout: ``SLOTS`` records of (16-byte bucket digest, count, expiry in unix
seconds), found by open addressing from the digest. A slot whose window ended
is free. When every probed slot is live (more than ~4,000 keys active in one
minute) the count falls back to the database counter, so nothing is dropped.
The file holds no secrets (digests of "<key hash prefix>:rpm:<window>") and
may be deleted at any time: counting restarts for the current minute.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
from pathlib import Path

from django.conf import settings

SLOTS = 4096
PROBES = 64
_SLOT = struct.Struct("<16sII")
_SIZE = SLOTS * _SLOT.size


class _Table:
    """The mapped file of this process (opened after fork: a ``flock`` belongs to
    an open file, so descriptors inherited from a parent would share one lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.pid = os.getpid()
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self.fd).st_size < _SIZE:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            try:
                if os.fstat(self.fd).st_size < _SIZE:
                    os.ftruncate(self.fd, _SIZE)
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.map = mmap.mmap(self.fd, _SIZE)

    def close(self) -> None:
        self.map.close()
        os.close(self.fd)


_table: _Table | None = None


def counters_path() -> Path:
    return Path(getattr(settings, "RATE_COUNTERS_PATH", settings.DATA_DIR / "rate-counters.bin"))


def _current() -> _Table:
    global _table
    path = counters_path()
    if _table is None or _table.pid != os.getpid() or _table.path != path:
        if _table is not None and _table.pid == os.getpid():
            _table.close()
        _table = None  # a failed open below must not leave a closed table behind
        _table = _Table(path)
    return _table


def _digest(bucket: str) -> bytes:
    return hashlib.blake2b(bucket.encode(), digest_size=16).digest()


def _start_slot(digest: bytes) -> int:
    return int.from_bytes(digest[:4], "little") % SLOTS


def shared_hit(*, bucket: str, expires: int, now: int) -> int | None:
    """Add one to ``bucket``'s counter (created live until ``expires``) and return
    the new count; None when no slot is free (the caller counts elsewhere)."""
    digest = _digest(bucket)
    start = _start_slot(digest)
    table = _current()
    memory = table.map
    fcntl.flock(table.fd, fcntl.LOCK_EX)
    try:
        free = None
        for probe in range(PROBES):
            offset = ((start + probe) % SLOTS) * _SLOT.size
            held, count, until = _SLOT.unpack_from(memory, offset)
            if until > now and held == digest:
                _SLOT.pack_into(memory, offset, digest, count + 1, until)
                return int(count + 1)
            if free is None and until <= now:
                free = offset
        if free is None:
            return None
        _SLOT.pack_into(memory, free, digest, 1, expires)
        return 1
    finally:
        fcntl.flock(table.fd, fcntl.LOCK_UN)
