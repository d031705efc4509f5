"""Compare a batch of source items with the cache's hash registry and write the difference.

Outside a hold, one batch = at most two short exclusive opens of the cache:
the first reads the registry (and, when nothing must be loaded, writes the
deletions and metadata at once); the payloads of new and modified items are
then loaded from the database with the cache released, and the second open
writes everything in one durable transaction.

Inside ``Applier.holding()`` (the engine's passes) the writer stays open
across batches and each batch commits without fsync; ``breathe()`` makes
them durable once per SYNC_WRITER_HOLD_SECONDS (see writer_hold.py).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings

from hotcache.cache import CacheWriter, cache_path, cache_writer
from hotcache.envelope import pack
from sync.services.failures import failed_item_record, failed_items_open, failed_items_resolve
from sync.services.rules import ItemError, ItemTooLarge
from sync.services.sources import KIND_OF, Ref, payloads
from sync.services.writer_hold import WriterHold, writer_deadline

PREVIEW_MAX = 50  # entries per action kept in a dry run's preview
PREVIEW_CHARS = 300


def max_item_bytes() -> int:
    return int(getattr(settings, "SYNC_MAX_ITEM_BYTES", 16 * 1024 * 1024))


@dataclass
class Tally:
    new: int = 0
    modified: int = 0
    unchanged: int = 0
    excluded: int = 0
    failed: int = 0
    evicted: int = 0
    removed: int = 0
    bytes_written: int = 0
    by_table: dict[str, dict[str, int]] = field(default_factory=dict)

    def bump(self, table: str, what: str, n: int = 1) -> None:
        setattr(self, what, getattr(self, what) + n)
        counts = self.by_table.setdefault(table, {})
        counts[what] = counts.get(what, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Preview:
    """A dry run's diff: what would be written or removed, truncated."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    bytes_to_write: int = 0
    shown: dict[str, int] = field(default_factory=dict)

    def add(self, action: str, table: str, key: str, payload: Any = None, size: int = 0) -> None:
        self.bytes_to_write += size
        if self.shown.get(action, 0) >= PREVIEW_MAX:
            return
        self.shown[action] = self.shown.get(action, 0) + 1
        entry: dict[str, Any] = {"action": action, "table": table, "key": key}
        if payload is not None:
            text = json.dumps(payload, default=str, ensure_ascii=False)
            entry.update(
                bytes=size, preview=text[:PREVIEW_CHARS] + "…" * (len(text) > PREVIEW_CHARS)
            )
        self.entries.append(entry)


@dataclass
class Delete:
    table: str
    key: str
    reason: str  # evicted | removed | excluded


@dataclass
class Applier:
    """Applies batches for one run (or one write-behind pass), counting into ``tally``."""

    run: Any = None  # the SyncRun failures are linked to
    dry_run: bool = False
    force_full: bool = False
    tally: Tally = field(default_factory=Tally)
    preview: Preview | None = None
    written_keys: int = 0
    _pending: list[tuple[str, str]] = field(default_factory=list)  # counted once written
    failed_keys: set[tuple[str, str]] = field(default_factory=set)  # tried once per run
    _hold: WriterHold = field(default_factory=WriterHold)  # the writer while holding
    _open_failures: bool | None = None  # any open FailedItem? asked once, then tracked

    @contextmanager
    def open_cache(self) -> Iterator[CacheWriter | None]:
        if self.dry_run and not cache_path().exists():
            yield None  # a dry run never creates the file
            return
        if self._hold.active:
            yield self._hold.writer()
            return
        with cache_writer(deadline=writer_deadline()) as writer:
            yield writer

    def holding(self) -> AbstractContextManager[None]:
        """Keep the writer across the batches applied inside (see WriterHold.holding).

        A dry run writes nothing, so it holds nothing.
        """
        return nullcontext() if self.dry_run else self._hold.holding()

    def breathe(self) -> bool:
        """End the hold's slice once it is spent; True if it did (all applied is durable)."""
        return self._hold.breathe()

    def apply(
        self,
        refs: Sequence[Ref],
        deletes: Sequence[Delete] = (),
        metadata: dict[str, Any] | None = None,
    ) -> None:
        by_table: dict[str, list[Ref]] = defaultdict(list)
        for ref in refs:
            if (ref.table, ref.key) not in self.failed_keys:
                by_table[ref.table].append(ref)
        to_delete: dict[str, list[str]] = defaultdict(list)
        changed: dict[str, list[Ref]] = defaultdict(list)
        cached_before: set[tuple[str, str]] = set()
        with self.open_cache() as writer:
            for table, items in by_table.items():
                registry = writer.hashes(table, [r.key for r in items]) if writer else {}
                cached_before |= {(table, key) for key in registry}
                for ref in items:
                    cached = registry.get(ref.key)
                    if ref.excluded:
                        self.tally.bump(table, "excluded")
                        if cached is not None:
                            to_delete[table].append(ref.key)
                            self._preview("remove-excluded", table, ref.key)
                    elif self.force_full or cached != ref.content_hash:
                        changed[table].append(ref)
                    else:
                        self.tally.bump(table, "unchanged")
            self._deletions(writer, deletes, to_delete)
            if not changed:
                if writer is not None and not self.dry_run:
                    writer.write_batch(
                        deletes=dict(to_delete), metadata=metadata, durable=not self._hold.active
                    )
                return
        self._pending.clear()
        puts, failures = self._payloads(changed, cached_before)
        if not self.dry_run:
            with self.open_cache() as writer:
                assert writer is not None
                self.tally.bytes_written += writer.write_batch(
                    packed=puts,
                    deletes=dict(to_delete),
                    metadata=metadata,
                    durable=not self._hold.active,
                )
        self._after_write(puts, failures)

    def _deletions(
        self, writer: CacheWriter | None, deletes: Iterable[Delete], out: dict[str, list[str]]
    ) -> None:
        wanted: dict[str, list[Delete]] = defaultdict(list)
        for d in deletes:
            wanted[d.table].append(d)
        for table, items in wanted.items():
            present = writer.hashes(table, [d.key for d in items]) if writer else {}
            for d in items:
                if d.key in present:
                    out[table].append(d.key)
                    if d.reason != "excluded":
                        self.tally.bump(table, d.reason)
                    self._preview(d.reason, table, d.key)

    def _payloads(
        self, changed: dict[str, list[Ref]], cached_before: set[tuple[str, str]]
    ) -> tuple[dict[str, list[tuple[str, bytes, str]]], list[tuple[Ref, BaseException]]]:
        puts: dict[str, list[tuple[str, bytes, str]]] = defaultdict(list)
        failures: list[tuple[Ref, BaseException]] = []
        limit = max_item_bytes()
        for table, refs in changed.items():
            loaded = payloads(table, refs)
            for ref in refs:
                value = loaded.get(ref.key)
                if value is None:
                    continue  # deleted since it was listed; the reconcile step removes it
                try:
                    if isinstance(value, BaseException):
                        raise value
                    blob = pack(value)  # packed once: the size check and the write share it
                    size = len(ref.key) + len(blob)
                    if size > limit:
                        raise ItemTooLarge(f"{ref.key}: {size} bytes packed, limit {limit}")
                except (ItemError, TypeError, ValueError, OverflowError) as exc:
                    failures.append((ref, exc))
                    self.failed_keys.add((table, ref.key))
                    self.tally.bump(table, "failed")
                    continue
                action = "modified" if (table, ref.key) in cached_before else "new"
                self._pending.append((table, action))
                self._preview(action, table, ref.key, value, size)
                # The hash of the row as loaded (it may have changed since it was listed),
                # so the registry always describes the value stored next to it.
                content_hash = value.get("content_hash") or ref.content_hash
                puts[table].append((ref.key, blob, content_hash))
        return puts, failures

    def _preview(
        self, action: str, table: str, key: str, payload: Any = None, size: int = 0
    ) -> None:
        if self.preview is not None:
            self.preview.add(action, table, key, payload, size)

    def _after_write(
        self,
        puts: dict[str, list[tuple[str, bytes, str]]],
        failures: list[tuple[Ref, BaseException]],
    ) -> None:
        for table, action in self._pending:
            self.tally.bump(table, action)
        if self.dry_run:
            return
        if self._open_failures is None:
            self._open_failures = failed_items_open()
        for table, items in puts.items():
            self.written_keys += len(items)
            if self._open_failures:  # one query per batch only when there is something to close
                failed_items_resolve(kind=KIND_OF[table], keys=[key for key, _, _ in items])
        for ref, exc in failures:
            self._open_failures = True
            failed_item_record(
                kind=KIND_OF[ref.table],
                key=ref.key,
                content_hash=ref.content_hash,
                error=exc,
                run=self.run,
            )
