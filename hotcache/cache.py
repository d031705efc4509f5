"""The redb hot cache: the only module that imports the redb extension.

Readers (web and API processes) open the file read-only for each read and
close it at once (~30 µs), so they never hold the lock for long. A writer
(the sync engine, the write-behind task) first drops a *writer-intent*
marker next to the file: while it is fresh, readers skip the cache and read
the database instead, so steady read traffic cannot starve the writer. The
writer then retries its exclusive open with backoff until a deadline.

Failures never block a reader: busy, missing, corrupt or unreadable → the
caller falls back to the database (see ``CacheRead.status``).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redb_cache
from django.conf import settings

from hotcache.envelope import EnvelopeError, pack, unpack

log = logging.getLogger(__name__)

EPISODES, PATTERNS, HEURISTICS, EMBEDDINGS, METADATA = (
    "episodes",
    "patterns",
    "heuristics",
    "embeddings",
    "metadata",
)
DATA_TABLES = (EPISODES, PATTERNS, HEURISTICS, EMBEDDINGS)
SCHEMA_VERSION = 1
HASH_PREFIX = "hash/"  # metadata keys "hash/<table>/<key>" → hex SHA-256 (the registry)
INTENT_FRESH_SECONDS = 5.0

CacheError = redb_cache.CacheError
CacheBusy = redb_cache.CacheBusy
CacheCorrupted = redb_cache.CacheCorrupted

_counts: Counter[str] = Counter()
_counts_lock = threading.Lock()


def _count(status: str) -> None:
    with _counts_lock:
        _counts[status] += 1


def read_counters() -> dict[str, int]:
    """Hits, misses, busy, corrupt, unavailable, format errors of this process."""
    with _counts_lock:
        return dict(_counts)


def cache_path() -> Path:
    return Path(settings.REDB_CACHE_PATH)


def intent_path(path: Path | None = None) -> Path:
    path = path or cache_path()
    return path.with_name(path.name + ".writer-intent")


def writer_waiting(path: Path | None = None) -> bool:
    try:
        age = time.time() - intent_path(path).stat().st_mtime
    except FileNotFoundError:
        return False
    return age < INTENT_FRESH_SECONDS


@dataclass(frozen=True)
class CacheRead:
    """A cache lookup: ``value`` when ``status == "hit"``, else the reason to fall back."""

    status: str  # hit | miss | busy | corrupt | unavailable | format
    value: Any = None
    detail: str = ""

    @property
    def hit(self) -> bool:
        return self.status == "hit"


def _classify(exc: Exception) -> str:
    if isinstance(exc, redb_cache.CacheBusy | redb_cache.CacheNeedsRepair):
        return "busy"
    if isinstance(exc, redb_cache.CacheCorrupted):
        return "corrupt"
    if isinstance(exc, redb_cache.TableMissing):
        return "miss"
    return "unavailable"


def cache_get_many(table: str, keys: Sequence[str], *, path: Path | None = None) -> list[CacheRead]:
    """Look keys up without ever waiting: one read-only open, closed at once."""
    path = path or cache_path()
    if writer_waiting(path):
        _count("busy")
        return [CacheRead("busy", detail="a writer is waiting")] * len(keys)
    try:
        with redb_cache.open_reader(path) as reader:
            blobs = reader.get_many(table, list(keys))
    except redb_cache.CacheError as exc:
        status = _classify(exc)
        _count(status)
        return [CacheRead(status, detail=str(exc))] * len(keys)
    results = []
    for blob in blobs:
        if blob is None:
            results.append(CacheRead("miss"))
            continue
        try:
            results.append(CacheRead("hit", unpack(blob)))
        except EnvelopeError as exc:
            results.append(CacheRead("format", detail=str(exc)))
    for read in results:
        _count(read.status)
    return results


def cache_get(table: str, key: str, *, path: Path | None = None) -> CacheRead:
    return cache_get_many(table, [key], path=path)[0]


def cache_metadata(key: str, *, path: Path | None = None) -> Any:
    """A metadata value (checkpoint, counts, ...), or None when unreadable."""
    read = cache_get(METADATA, key, path=path)
    return read.value if read.hit else None


class CacheWriter:
    """An exclusive handle for the sync engine; every write is one short transaction."""

    def __init__(self, handle: redb_cache.Writer) -> None:
        self._handle = handle

    def hashes(self, table: str, keys: Sequence[str]) -> dict[str, str]:
        """The content-hash registry entries for ``keys`` (absent keys omitted)."""
        names = [f"{HASH_PREFIX}{table}/{k}" for k in keys]
        try:
            values = self._handle.get_many(METADATA, names)
        except redb_cache.TableMissing:
            return {}
        return {k: v.decode() for k, v in zip(keys, values, strict=True) if v is not None}

    def keys(self, table: str, *, prefix: str = "") -> list[str]:
        """Keys of ``table`` (those starting with ``prefix``, which is stripped); no values."""
        try:
            raw = self._handle.keys(table, prefix=prefix.encode() if prefix else None)
        except redb_cache.TableMissing:
            return []
        cut = len(prefix.encode())
        return [k[cut:].decode() for k in raw]

    def get(self, table: str, key: str) -> Any:
        try:
            blob = self._handle.get(table, key)
        except redb_cache.TableMissing:
            return None
        return None if blob is None else unpack(blob)

    def count(self, table: str) -> int:
        try:
            return self._handle.count(table)
        except redb_cache.TableMissing:
            return 0

    def write_batch(
        self,
        *,
        puts: dict[str, list[tuple[str, Any, str]]] | None = None,
        deletes: dict[str, list[str]] | None = None,
        metadata: dict[str, Any] | None = None,
        packed: dict[str, list[tuple[str, bytes, str]]] | None = None,
        durable: bool = True,
    ) -> int:
        """Apply one batch in one transaction; returns the bytes written.

        ``puts[table]`` holds ``(key, value, content_hash)``: the value and its
        registry entry are written together, so they can never disagree.
        ``packed[table]`` is the same with values already enveloped (``pack``).
        ``durable=False`` commits without fsync: the batch is visible at once but
        survives a crash only once a later durable commit (``make_durable``, a
        durable batch or a clean close) has followed it; a crash rolls the file
        back to the last durable commit, metadata included.
        """
        written = 0
        items_by_table = {
            t: [(k, pack(v), h) for k, v, h in items] for t, items in (puts or {}).items()
        }
        for table, items in (packed or {}).items():
            items_by_table.setdefault(table, []).extend(items)
        with self._handle.transaction(durability="immediate" if durable else "none") as txn:
            for table, items in items_by_table.items():
                written += sum(len(k) + len(v) for k, v, _ in items)
                txn.put_many(table, [(k, v) for k, v, _ in items])
                txn.put_many(METADATA, [(f"{HASH_PREFIX}{table}/{k}", h) for k, _, h in items])
            for table, keys in (deletes or {}).items():
                txn.delete_many(table, keys)
                txn.delete_many(METADATA, [f"{HASH_PREFIX}{table}/{k}" for k in keys])
            meta = {"schema_version": SCHEMA_VERSION, **(metadata or {})}
            txn.put_many(METADATA, [(k, pack(v)) for k, v in meta.items()])
        return written

    def make_durable(self) -> None:
        """Make every earlier non-durable batch durable (one empty fsync'ed commit)."""
        with self._handle.transaction(durability="immediate"):
            pass

    def clear(self) -> None:
        with self._handle.transaction() as txn:
            for table in (*DATA_TABLES, METADATA):
                txn.clear(table)

    def check_integrity(self) -> bool:
        return self._handle.check_integrity()

    def stats(self) -> dict[str, Any]:
        return dict(self._handle.stats())


@contextmanager
def cache_writer(*, path: Path | None = None, deadline: float = 10.0) -> Iterator[CacheWriter]:
    """Open the cache for writing: announce intent, retry with backoff, release promptly.

    Raises ``CacheBusy`` when the deadline passes, ``CacheCorrupted`` when
    the file is damaged beyond redb's repair (see ``cache_quarantine``).
    """
    path = path or cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    marker = intent_path(path)
    marker.touch()
    try:
        handle = _open_with_backoff(path, deadline, marker)
        try:
            yield CacheWriter(handle)
        except BaseException:
            # After a failed write redb's close() only says "Previous I/O error
            # occurred"; raising that would hide the cause (e.g. a full disk).
            with suppress(redb_cache.CacheError):
                handle.close()
            raise
        handle.close()
    finally:
        marker.unlink(missing_ok=True)


def _open_with_backoff(path: Path, deadline: float, marker: Path) -> redb_cache.Writer:
    give_up = time.monotonic() + deadline
    delay = 0.002
    while True:
        try:
            return redb_cache.open_writer(path)
        except redb_cache.CacheBusy:
            if time.monotonic() >= give_up:
                raise
            os.utime(marker)  # keep the intent fresh while waiting
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.1)


def cache_quarantine(*, path: Path | None = None) -> Path | None:
    """Move a damaged cache file aside (kept, never deleted); returns its new path."""
    path = path or cache_path()
    if not path.exists():
        return None
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
    path.rename(aside)
    log.warning("cache file %s was damaged; kept as %s and rebuilt", path, aside)
    return aside
