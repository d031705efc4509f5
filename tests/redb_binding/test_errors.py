"""The exception tree, and every error a caller can provoke within one process."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import redb_cache
from redb_cache import (
    CacheBusy,
    CacheClosed,
    CacheCorrupted,
    CacheError,
    CacheIOError,
    CacheNeedsRepair,
    TableMissing,
    TransactionClosed,
    Writer,
)


def test_exception_tree() -> None:
    for exc in (
        CacheBusy,
        CacheClosed,
        CacheCorrupted,
        CacheIOError,
        CacheNeedsRepair,
        TableMissing,
        TransactionClosed,
    ):
        assert exc.__bases__ == (CacheError,)
    assert CacheError.__bases__ == (Exception,)
    assert CacheError.__module__ == "redb_cache"


READ_ARGS: dict[str, tuple[object, ...]] = {
    "get": (b"k",),
    "get_many": ([b"k"],),
    "scan": (),
    "keys": (),
    "count": (),
}


@pytest.mark.parametrize("read", ["get", "get_many", "scan"])
def test_reader_reads_of_a_missing_table_raise_table_missing(filled_path: Path, read: str) -> None:
    with redb_cache.open_reader(filled_path) as reader, pytest.raises(TableMissing, match="nope"):
        getattr(reader, read)("nope", *READ_ARGS[read])


@pytest.mark.parametrize("read", ["get", "get_many", "keys", "count"])
def test_writer_reads_of_a_missing_table_raise_table_missing(filled_path: Path, read: str) -> None:
    with redb_cache.open_writer(filled_path) as w:
        with pytest.raises(TableMissing, match="nope"):
            getattr(w, read)("nope", *READ_ARGS[read])
        # The failed read created nothing.
        assert w.list_tables() == ["empty", "users"]


def test_use_after_commit_or_abort_raises_transaction_closed(writer: Writer) -> None:
    txn = writer.transaction()
    txn.put("t", b"k", b"v")
    txn.commit()
    for call in (
        lambda: txn.put("t", b"k", b"v"),
        lambda: txn.put_many("t", [(b"k", b"v")]),
        lambda: txn.delete("t", b"k"),
        lambda: txn.delete_many("t", [b"k"]),
        lambda: txn.clear("t"),
        lambda: txn.drop_table("t"),
        txn.commit,
        txn.abort,
    ):
        with pytest.raises(TransactionClosed):
            call()
    aborted = writer.transaction()
    aborted.abort()
    with pytest.raises(TransactionClosed):
        aborted.put("t", b"k", b"v")


def test_closed_reader_and_writer_raise_cache_closed(filled_path: Path) -> None:
    reader = redb_cache.open_reader(filled_path)
    reader.close()
    reader.close()  # idempotent
    calls: tuple[Callable[[], object], ...] = (
        lambda: reader.get("users", b"k"),
        lambda: reader.scan("users"),
        reader.list_tables,
    )
    for call in calls:
        with pytest.raises(CacheClosed):
            call()

    w = redb_cache.open_writer(filled_path)
    w.close()
    w.close()
    calls = (
        lambda: w.get("users", b"k"),
        w.transaction,
        w.stats,
        w.compact,
        w.check_integrity,
    )
    for call in calls:
        with pytest.raises(CacheClosed):
            call()


def test_closing_the_writer_aborts_its_open_transaction(db_path: Path) -> None:
    w = redb_cache.open_writer(db_path)
    with w.transaction() as txn:
        txn.put("t", b"kept", b"1")
    txn = w.transaction()
    txn.put("t", b"lost", b"2")
    w.close()
    with pytest.raises(TransactionClosed):
        txn.put("t", b"k", b"v")
    with redb_cache.open_reader(db_path) as reader:
        assert reader.scan("t") == [(b"kept", b"1")]


def test_second_transaction_on_one_writer_is_busy(writer: Writer) -> None:
    with writer.transaction():
        with pytest.raises(CacheBusy):
            writer.transaction()
        # Maintenance needs the write slot too.
        with pytest.raises(CacheBusy):
            writer.stats()
        with pytest.raises(CacheBusy):
            writer.compact()
        with pytest.raises(CacheBusy):
            writer.check_integrity()
    with writer.transaction():
        pass


def test_dropped_transaction_is_aborted_and_frees_the_slot(writer: Writer) -> None:
    txn = writer.transaction()
    txn.put("t", b"k", b"v")
    del txn
    with writer.transaction() as again:
        again.put("u", b"k", b"v")
    assert writer.list_tables() == ["u"]


def test_locks_conflict_within_one_process(filled_path: Path) -> None:
    with redb_cache.open_writer(filled_path):
        with pytest.raises(CacheBusy):
            redb_cache.open_writer(filled_path)
        with pytest.raises(CacheBusy):
            redb_cache.open_reader(filled_path)
    with (
        redb_cache.open_reader(filled_path),
        redb_cache.open_reader(filled_path),
        pytest.raises(CacheBusy),
    ):
        redb_cache.open_writer(filled_path)


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(CacheIOError):
        redb_cache.open_reader(tmp_path / "absent.redb")
    with pytest.raises(CacheIOError):
        redb_cache.open_writer(tmp_path / "absent.redb", create=False)
    with pytest.raises(CacheIOError):
        redb_cache.open_writer(tmp_path / "no" / "such" / "dir.redb")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory_is_an_io_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(CacheIOError):
            redb_cache.open_writer(locked / "cache.redb")
    finally:
        locked.chmod(0o700)


def test_read_only_file_is_an_io_error_for_the_writer(filled_path: Path) -> None:
    # Root may open a 0o400 file for writing, so use a path that cannot be a file instead.
    with pytest.raises(CacheIOError):
        redb_cache.open_writer(filled_path.parent)


def test_empty_file(db_path: Path) -> None:
    db_path.write_bytes(b"")
    with pytest.raises(CacheCorrupted):
        redb_cache.open_reader(db_path)
    with redb_cache.open_writer(db_path) as w:  # create=True initialises an empty file
        assert w.list_tables() == []


def test_bad_arguments_raise_type_and_value_errors(writer: Writer) -> None:
    with pytest.raises(ValueError, match="durability"):
        writer.transaction(durability="eventual")  # type: ignore[arg-type]
    with writer.transaction() as txn:
        with pytest.raises(TypeError, match="key must be bytes"):
            txn.put("t", 1, b"v")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="value must be bytes"):
            txn.put("t", b"k", None)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="length 2"):
            txn.put_many("t", [(b"k",)])  # type: ignore[list-item]
        with pytest.raises(TypeError):
            txn.put_many("t", [b"kv"])  # type: ignore[list-item]
        with pytest.raises(UnicodeEncodeError):
            txn.put("t", "\ud800", b"v")  # lone surrogate: not encodable as UTF-8
        txn.put("t", b"k", b"v")
    with pytest.raises(TypeError):
        writer.keys("t", prefix=3)  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        writer.keys("t", limit=-1)
    with pytest.raises(TypeError):
        writer.get_many("t", 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="key must be bytes"):
        writer.get("t", 1)  # type: ignore[arg-type]
    path = writer.path
    writer.close()
    with redb_cache.open_reader(path) as reader:
        with pytest.raises(TypeError):
            reader.scan("t", start=3)  # type: ignore[arg-type]
        with pytest.raises(OverflowError):
            reader.scan("t", limit=-1)
