"""Type stubs for the compiled redb binding (``crates/redb_cache/src``); written by hand.

Conventions shared by every class:

- Keys and values are ``bytes``; ``str`` (stored as UTF-8) and ``bytearray`` are accepted
  too. Reads always return ``bytes``.
- Keys sort as raw bytes, lexicographically.
- Reads (``get``, ``get_many``, ``scan``, ``keys``, ``count``) of a table that does not exist
  raise ``TableMissing``, consistently: a missing table is not an empty one. Reads never
  create tables. Deleting writes (``delete``, ``delete_many``, ``clear``) of a missing table
  do nothing and return ``False`` / ``0``.
- Every call into redb releases the GIL; objects may be shared between threads.
- Every failure is a ``CacheError``; a panic inside redb (a damaged file) becomes
  ``CacheCorrupted``.
"""

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Literal, Self, TypeAlias, TypedDict, final

__all__ = [
    "CacheBusy",
    "CacheClosed",
    "CacheCorrupted",
    "CacheError",
    "CacheIOError",
    "CacheNeedsRepair",
    "Reader",
    "TableMissing",
    "TransactionClosed",
    "WriteTxn",
    "Writer",
    "open_reader",
    "open_writer",
]

_Bytes: TypeAlias = bytes | bytearray | str
# Mapping keys are invariant, so each hashable key type is listed (bytearray is unhashable).
_Pairs: TypeAlias = Iterable[tuple[_Bytes, _Bytes]] | Mapping[bytes, _Bytes] | Mapping[str, _Bytes]

class _Stats(TypedDict):
    file_size: int
    stored_bytes: int
    metadata_bytes: int
    fragmented_bytes: int
    tree_height: int
    tables: dict[str, int]

class CacheError(Exception):
    """Root of every error raised by redb_cache; unknown redb errors are raised as this class."""

class CacheBusy(CacheError):
    """Another handle holds the file's lock, or a write transaction is already in progress."""

class CacheCorrupted(CacheError):
    """The file is not a redb database, or its contents are damaged."""

class CacheNeedsRepair(CacheError):
    """A read-only open met a file whose last writer did not close cleanly.

    Not corruption: opening the file with ``open_writer`` repairs it (then close it again).
    """

class CacheIOError(CacheError):
    """An operating-system I/O error (missing file, permissions, disk full)."""

class TableMissing(CacheError):
    """A read named a table that does not exist."""

class TransactionClosed(CacheError):
    """The write transaction was already committed or aborted."""

class CacheClosed(CacheError):
    """The Reader or Writer was already closed."""

def open_reader(path: str | os.PathLike[str]) -> Reader:
    """Open an existing redb file read-only (redb ``Builder::open_read_only``).

    Takes a shared lock: any number of readers, in any processes, may be open at once, but
    none while a Writer has the file open. Cheap (tens of microseconds): open one per request.

    Raises ``CacheBusy`` (a writer holds the file), ``CacheIOError`` (missing file),
    ``CacheCorrupted`` (not a redb file) or ``CacheNeedsRepair`` (the last writer crashed).
    """

def open_writer(path: str | os.PathLike[str], *, create: bool = True) -> Writer:
    """Open a redb file read-write under an exclusive lock.

    With ``create`` (the default) a missing or empty file becomes a new database; without it,
    a missing file is ``CacheIOError``. A file left by a crashed writer is repaired here.
    Raises ``CacheBusy`` if any Reader or Writer (any process) has the file open.
    """

@final
class Reader:
    """A read-only handle. Use as a context manager or call ``close()``."""

    @property
    def path(self) -> Path:
        """The path the reader was opened on."""

    @property
    def closed(self) -> bool:
        """Whether ``close()`` has been called."""

    def get(self, table: str, key: _Bytes) -> bytes | None:
        """The value under ``key`` in ``table``, or None. ``TableMissing`` if no such table."""

    def get_many(self, table: str, keys: Iterable[_Bytes]) -> list[bytes | None]:
        """The values of ``keys`` in ``table``, in order, None where missing."""

    def scan(
        self,
        table: str,
        *,
        prefix: _Bytes | None = None,
        start: _Bytes | None = None,
        end: _Bytes | None = None,
        limit: int | None = None,
        reverse: bool = False,
    ) -> list[tuple[bytes, bytes]]:
        """``(key, value)`` pairs in key order (descending with ``reverse``).

        ``prefix`` keeps keys starting with it; ``start`` (inclusive) and ``end`` (exclusive)
        bound a half-open range; given together they intersect. ``limit`` caps the count
        (taken from the far end when reversed).
        """

    def list_tables(self) -> list[str]:
        """The names of all tables."""

    def close(self) -> None:
        """Release the file and its lock. Idempotent; later reads raise ``CacheClosed``."""

    def __enter__(self) -> Self:
        """Return the reader itself."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        """Close the reader; never swallows the exception."""

@final
class Writer:
    """A read-write handle. Reads see committed data only (not an open transaction's)."""

    @property
    def path(self) -> Path:
        """The path the writer was opened on."""

    @property
    def closed(self) -> bool:
        """Whether ``close()`` has been called."""

    def transaction(
        self,
        *,
        durability: Literal["immediate", "none"] = "immediate",
        quick_repair: bool = False,
    ) -> WriteTxn:
        """Begin the (single) write transaction; use it as a context manager.

        ``durability``: "immediate" fsyncs on commit; "none" commits to memory only, made
        durable by the next "immediate" commit or a clean close (redb 4 has no "eventual").
        ``quick_repair`` saves allocator state with the commit (slower commit), so the repair
        ``open_writer`` does after a crash is near instant instead of a full scan. (Readers
        refuse a crashed file either way until a writer has opened it: ``CacheNeedsRepair``.)
        ``CacheBusy`` if a transaction is already open on this writer; ``ValueError`` for an
        unknown durability.
        """

    def get(self, table: str, key: _Bytes) -> bytes | None:
        """The committed value under ``key`` in ``table``, or None."""

    def get_many(self, table: str, keys: Iterable[_Bytes]) -> list[bytes | None]:
        """The committed values of ``keys`` in ``table``, None where missing."""

    def keys(
        self,
        table: str,
        *,
        prefix: _Bytes | None = None,
        start: _Bytes | None = None,
        end: _Bytes | None = None,
        limit: int | None = None,
        reverse: bool = False,
    ) -> list[bytes]:
        """Committed keys only; bounds as in ``Reader.scan``. Values are never copied."""

    def count(self, table: str) -> int:
        """The number of committed entries in ``table`` (``TableMissing`` if none)."""

    def list_tables(self) -> list[str]:
        """The names of all committed tables."""

    def check_integrity(self) -> bool:
        """Verify all checksums and rebuild allocator state (redb ``check_integrity``).

        True if intact, False if it was repaired; ``CacheCorrupted`` if beyond repair,
        ``CacheBusy`` while a transaction is open.
        """

    def compact(self) -> bool:
        """Compact the file; True if anything moved. ``CacheBusy`` while a transaction is open."""

    def stats(self) -> _Stats:
        """Storage figures and per-table entry counts. ``CacheBusy`` while a transaction is open."""

    def close(self) -> None:
        """Abort any open transaction, flush, and release the file and its lock. Idempotent."""

    def __enter__(self) -> Self:
        """Return the writer itself."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        """Close the writer; never swallows the exception."""

@final
class WriteTxn:
    """One write transaction. As a context manager: commit on success, abort on exception.

    After ``commit()`` or ``abort()`` (or the writer's ``close()``) every method raises
    ``TransactionClosed``. It has no reads: the ``Writer``'s reads see committed data.
    """

    @property
    def closed(self) -> bool:
        """Whether the transaction has been committed or aborted."""

    def put(self, table: str, key: _Bytes, value: _Bytes) -> None:
        """Store ``value`` under ``key`` in ``table`` (created if missing)."""

    def put_many(self, table: str, items: _Pairs) -> int:
        """Store every ``(key, value)`` pair (or mapping item); returns how many.

        Creates ``table`` even when ``items`` is empty. Items are handed to redb in chunks,
        so a generator is never held in memory whole; a bad item raises after earlier
        chunks were written (the ``with`` block then aborts them).
        """

    def delete(self, table: str, key: _Bytes) -> bool:
        """Delete ``key``; True if it was present. A missing table deletes nothing."""

    def delete_many(self, table: str, keys: Iterable[_Bytes]) -> int:
        """Delete ``keys``; returns how many were actually present."""

    def clear(self, table: str) -> int:
        """Remove every entry, keeping the table; returns how many there were (0 if missing)."""

    def drop_table(self, table: str) -> bool:
        """Delete the table itself; True if it existed."""

    def commit(self) -> None:
        """Commit (durable per the transaction's durability) and end the transaction."""

    def abort(self) -> None:
        """Discard the writes and end the transaction."""

    def __enter__(self) -> Self:
        """Return the transaction itself."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        """Commit if the block succeeded, abort if it raised; nothing if already ended."""
