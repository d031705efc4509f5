"""Read helpers: the Writer has no `scan` (the product never needed one), so tests that check a
whole table through a writer read its keys, then their values."""

from __future__ import annotations

from redb_cache import Writer


def committed_items(writer: Writer, table: str) -> list[tuple[bytes, bytes]]:
    """Every committed `(key, value)` pair of `table`, in key order."""
    keys = writer.keys(table)
    values = writer.get_many(table, keys)
    assert None not in values, "a listed key has no value"
    return [(k, v) for k, v in zip(keys, values, strict=True) if v is not None]
