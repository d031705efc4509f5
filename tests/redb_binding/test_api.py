"""Round trips through every public method, on real redb files."""

from __future__ import annotations

from pathlib import Path

import pytest
import redb_cache
from redb_cache import Reader, Writer

from tests.redb_binding.helpers import committed_items

USERS = [(f"user:{i}".encode(), f"name-{i}".encode()) for i in range(5)]


def test_put_get_round_trip_with_bytes_str_and_bytearray(writer: Writer) -> None:
    with writer.transaction() as txn:
        txn.put("t", b"bytes-key", b"bytes-value")
        txn.put("t", "str-key", "str-value \u00e9")
        txn.put("t", bytearray(b"ba-key"), bytearray(b"ba-value"))
        txn.put("t", b"", b"")  # empty key and value are legal
    assert writer.get("t", b"bytes-key") == b"bytes-value"
    assert writer.get("t", "str-key") == "str-value \u00e9".encode()
    assert writer.get("t", b"str-key") == writer.get("t", "str-key")
    assert writer.get("t", "ba-key") == b"ba-value"
    assert writer.get("t", b"") == b""
    assert writer.get("t", b"absent") is None


def test_values_are_binary_safe(writer: Writer) -> None:
    blob = bytes(range(256)) * 1000
    with writer.transaction() as txn:
        txn.put("blobs", b"\x00\xff", blob)
    assert writer.get("blobs", b"\x00\xff") == blob


def test_put_overwrites(writer: Writer) -> None:
    with writer.transaction() as txn:
        txn.put("t", b"k", b"old")
        txn.put("t", b"k", b"new")
    assert writer.get("t", b"k") == b"new"
    assert writer.count("t") == 1


def test_put_many_accepts_pairs_generators_and_mappings(writer: Writer) -> None:
    with writer.transaction() as txn:
        assert txn.put_many("a", USERS) == 5
        assert txn.put_many("b", ((k, v) for k, v in USERS)) == 5
        assert txn.put_many("c", dict(USERS)) == 5
        assert txn.put_many("d", []) == 0
        # More than one internal chunk (10 000 items).
        assert txn.put_many("big", ((b"%06d" % i, b"v") for i in range(25_000))) == 25_000
    for table in "abc":
        assert committed_items(writer, table) == USERS
    assert writer.count("big") == 25_000
    assert writer.list_tables() == ["a", "b", "big", "c", "d"]


def test_get_many_keeps_order_and_gaps(filled_path: Path) -> None:
    with redb_cache.open_reader(filled_path) as reader:
        got = reader.get_many("users", [b"user:3", "missing", "user:0", b"user:3"])
    assert got == [b"name-3", None, b"name-0", b"name-3"]


def test_count_and_list_tables(filled_path: Path) -> None:
    with redb_cache.open_reader(filled_path) as reader:
        assert reader.list_tables() == ["empty", "users"]
    with redb_cache.open_writer(filled_path) as w:
        assert w.count("users") == 5
        assert w.count("empty") == 0
        assert w.list_tables() == ["empty", "users"]


@pytest.mark.parametrize(
    ("kwargs", "expected_keys"),
    [
        ({}, [b"a", b"ab", b"abc", b"abd", b"b", b"\xff"]),
        ({"prefix": b"ab"}, [b"ab", b"abc", b"abd"]),
        ({"prefix": "ab"}, [b"ab", b"abc", b"abd"]),
        ({"prefix": b"\xff"}, [b"\xff"]),
        ({"prefix": b"zz"}, []),
        ({"start": b"abc"}, [b"abc", b"abd", b"b", b"\xff"]),
        ({"end": b"abc"}, [b"a", b"ab"]),
        ({"start": b"ab", "end": b"b"}, [b"ab", b"abc", b"abd"]),
        ({"start": b"b", "end": b"a"}, []),
        ({"start": b"b", "end": b"b"}, []),
        ({"prefix": b"ab", "start": b"abd"}, [b"abd"]),
        ({"prefix": b"ab", "end": b"abd"}, [b"ab", b"abc"]),
        ({"limit": 2}, [b"a", b"ab"]),
        ({"limit": 0}, []),
        ({"reverse": True}, [b"\xff", b"b", b"abd", b"abc", b"ab", b"a"]),
        ({"reverse": True, "limit": 2}, [b"\xff", b"b"]),
        ({"prefix": b"ab", "reverse": True, "limit": 2}, [b"abd", b"abc"]),
        ({"start": b"a", "end": b"abd", "reverse": True}, [b"abc", b"ab", b"a"]),
        (
            {"prefix": None, "start": None, "end": None, "limit": None},
            [b"a", b"ab", b"abc", b"abd", b"b", b"\xff"],
        ),
    ],
)
def test_scan(writer: Writer, kwargs: dict[str, object], expected_keys: list[bytes]) -> None:
    keys = [b"b", b"abd", b"a", b"\xff", b"abc", b"ab"]
    with writer.transaction() as txn:
        txn.put_many("t", [(k, b"v:" + k) for k in keys])
    # Writer.keys(): the same bounds as Reader.scan, keys only.
    assert writer.keys("t", **kwargs) == expected_keys  # type: ignore[arg-type]
    path = writer.path
    writer.close()
    with redb_cache.open_reader(path) as reader:
        pairs = reader.scan("t", **kwargs)  # type: ignore[arg-type]
    assert [k for k, _ in pairs] == expected_keys
    assert all(v == b"v:" + k for k, v in pairs)


def test_keys_of_a_missing_table(writer: Writer) -> None:
    with pytest.raises(redb_cache.TableMissing):
        writer.keys("nope")


def test_delete_and_delete_many(writer: Writer) -> None:
    with writer.transaction() as txn:
        txn.put_many("users", USERS)
    with writer.transaction() as txn:
        assert txn.delete("users", "user:0") is True
        assert txn.delete("users", "user:0") is False
        assert txn.delete_many("users", [b"user:1", "user:2", b"user:1", b"nope"]) == 2
        assert txn.delete("no_table", b"k") is False
        assert txn.delete_many("no_table", [b"k"]) == 0
    assert committed_items(writer, "users") == USERS[3:]
    assert writer.list_tables() == ["users"]  # deleting from a missing table created nothing


def test_clear_keeps_the_table_and_drop_table_removes_it(writer: Writer) -> None:
    with writer.transaction() as txn:
        txn.put_many("a", USERS)
        txn.put_many("b", USERS)
    with writer.transaction() as txn:
        assert txn.clear("a") == 5
        assert txn.clear("a") == 0
        assert txn.clear("missing") == 0
        assert txn.drop_table("b") is True
        assert txn.drop_table("b") is False
    assert writer.list_tables() == ["a"]
    assert writer.count("a") == 0


def test_writer_reads_see_committed_data_only(writer: Writer) -> None:
    with writer.transaction() as txn:
        txn.put_many("users", USERS)
    with writer.transaction() as txn:
        txn.put("users", "user:9", "new")
        txn.delete("users", "user:0")
        txn.put("fresh", "k", "v")
        assert writer.get("users", "user:9") is None
        assert writer.get("users", "user:0") == b"name-0"
        assert writer.list_tables() == ["users"]
        assert writer.count("users") == 5
    assert writer.get("users", "user:9") == b"new"
    assert writer.get("users", "user:0") is None
    assert writer.list_tables() == ["fresh", "users"]


def test_transaction_context_commits_on_success_and_aborts_on_exception(writer: Writer) -> None:
    with writer.transaction() as txn:
        txn.put("t", b"kept", b"1")
    assert txn.closed
    with pytest.raises(RuntimeError), writer.transaction() as txn:
        txn.put("t", b"lost", b"2")
        raise RuntimeError("boom")
    assert txn.closed
    assert committed_items(writer, "t") == [(b"kept", b"1")]


def test_explicit_commit_and_abort(writer: Writer) -> None:
    txn = writer.transaction()
    txn.put("t", b"a", b"1")
    txn.commit()
    txn = writer.transaction()
    txn.put("t", b"b", b"2")
    txn.abort()
    with writer.transaction() as txn:
        txn.put("t", b"c", b"3")
        txn.commit()  # an explicit commit inside the block; the exit then does nothing
    assert writer.keys("t") == [b"a", b"c"]


@pytest.mark.parametrize("durability", ["immediate", "none"])
@pytest.mark.parametrize("quick_repair", [False, True])
def test_durability_levels_persist_after_clean_close(
    db_path: Path, durability: str, quick_repair: bool
) -> None:
    with redb_cache.open_writer(db_path) as w:
        with w.transaction(durability=durability, quick_repair=quick_repair) as txn:  # type: ignore[arg-type]
            txn.put("t", b"k", durability)
        assert w.get("t", b"k") == durability.encode()
    with redb_cache.open_reader(db_path) as reader:
        assert reader.get("t", b"k") == durability.encode()


def test_writer_reopens_existing_file_without_create(filled_path: Path) -> None:
    with redb_cache.open_writer(filled_path, create=False) as w:
        assert w.count("users") == 5


def test_maintenance(writer: Writer) -> None:
    with writer.transaction() as txn:
        txn.put_many("big", ((b"%06d" % i, b"x" * 200) for i in range(5000)))
        txn.put_many("small", USERS)
    with writer.transaction() as txn:
        txn.clear("big")
    assert writer.check_integrity() is True
    stats = writer.stats()
    assert set(stats) == {
        "file_size",
        "stored_bytes",
        "metadata_bytes",
        "fragmented_bytes",
        "tree_height",
        "tables",
    }
    assert stats["tables"] == {"big": 0, "small": 5}
    assert stats["file_size"] > 0
    assert isinstance(writer.compact(), bool)
    assert writer.stats()["file_size"] <= stats["file_size"]
    assert committed_items(writer, "small") == USERS


def test_properties_and_repr(filled_path: Path) -> None:
    reader = redb_cache.open_reader(str(filled_path))
    assert reader.path == filled_path
    assert not reader.closed
    assert "open" in repr(reader)
    reader.close()
    assert reader.closed
    assert "closed" in repr(reader)
    with redb_cache.open_writer(filled_path) as w:
        assert w.path == filled_path
        txn = w.transaction()
        assert not txn.closed
        assert "open" in repr(txn)
        txn.abort()
    assert w.closed


def test_handles_are_context_managers_that_close(filled_path: Path) -> None:
    with redb_cache.open_reader(filled_path) as reader:
        assert isinstance(reader, Reader)
    assert reader.closed
    with redb_cache.open_writer(filled_path) as w:
        assert isinstance(w, Writer)
    assert w.closed
    # Closed handles released the lock: the file can be opened again.
    redb_cache.open_writer(filled_path).close()
