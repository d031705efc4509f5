"""redb_cache: the project's binding of the redb embedded key-value store.

Keys and values are bytes (``str`` is accepted and stored as UTF-8). Tables are named by the
caller. ``open_reader`` takes a shared lock (many processes may read at once); ``open_writer``
takes an exclusive one. Every error is a ``CacheError``.
"""

from redb_cache._native import (
    CacheBusy,
    CacheClosed,
    CacheCorrupted,
    CacheError,
    CacheIOError,
    CacheNeedsRepair,
    Reader,
    TableMissing,
    TransactionClosed,
    Writer,
    WriteTxn,
    open_reader,
    open_writer,
)

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
