"""The cache's own metadata (table METADATA) and its health: integrity, repair, quarantine."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from hotcache.cache import (
    HASH_PREFIX,
    METADATA,
    CacheCorrupted,
    CacheError,
    CacheWriter,
    cache_get,
    cache_path,
    cache_quarantine,
    cache_writer,
)

log = logging.getLogger(__name__)

APPLIED_SEQ = "applied_seq"  # every change with a marker <= this is in the cache
SYNCED_AT = "synced_at"  # epoch seconds when the cache was last brought in step
EXCLUDE = "exclude"  # the exclude rules of the last full run (write-behind honours them)
CHECKPOINT = "checkpoint"  # where the current run lineage stands
LAST_RUN = "last_run"
WINDOW = "window"  # MAX_EPISODES_CACHE when the last full run stamped APPLIED_SEQ


def registry_keys(writer: CacheWriter, table: str) -> set[str]:
    """Keys with a content hash in the registry (small values, unlike the table's)."""
    return set(writer.keys(METADATA, prefix=f"{HASH_PREFIX}{table}/"))


@dataclass(frozen=True)
class MetaRead:
    status: str  # hit | miss | busy | unavailable | corrupt | format
    value: Any = None


def meta_read(key: str) -> MetaRead:
    """A metadata value without waiting; ``status`` says why there is none."""
    read = cache_get(METADATA, key)
    if read.hit:
        return MetaRead("hit", read.value)
    return MetaRead(read.status)


def meta_get(key: str) -> Any:
    """A metadata value read under the writer lock (for writers: never "busy")."""
    with cache_writer() as writer:
        return writer.get(METADATA, key)


def meta_write(values: dict[str, Any]) -> None:
    with cache_writer() as writer:
        writer.write_batch(metadata=values)


@dataclass
class CacheHealth:
    ok: bool = True
    quarantined: str | None = None  # where the damaged file was moved
    repaired: bool = False
    warnings: list[str] = field(default_factory=list)
    error: str = ""


def cache_health_check(*, deadline: float = 10.0) -> CacheHealth:
    """Open the cache for writing (repairs a crashed writer's file) and check integrity.

    A file damaged beyond repair is moved aside (kept, never deleted) and a
    fresh one takes its place: the caller then rebuilds it from the database.
    """
    health = CacheHealth()
    if not cache_path().exists():
        return health
    started = time.monotonic()
    try:
        with cache_writer(deadline=deadline) as writer:
            if not writer.check_integrity():
                health.repaired = True
                health.warnings.append("cache integrity check repaired the file")
    except CacheCorrupted as exc:
        health.quarantined = str(cache_quarantine())
        health.warnings.append(
            f"cache file was damaged ({exc}); moved to {health.quarantined}, rebuilding"
        )
    except CacheError as exc:
        health.ok, health.error = False, f"{type(exc).__name__}: {exc}"
    log.debug("cache health check took %.3fs", time.monotonic() - started)
    return health


def cache_quarantine_now(reason: str) -> str | None:
    aside = cache_quarantine()
    log.warning("cache quarantined (%s): %s", reason, aside)
    return str(aside) if aside else None
