"""Hypothesis state machine: random writes, commits, aborts and reopens of a real redb file,
checked against a dict model after every step."""

from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path

import redb_cache
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from tests.redb_binding.helpers import committed_items

Model = dict[str, dict[bytes, bytes]]

TABLES = st.sampled_from(["alpha", "beta", "gamma"])
# A small key space, so puts, deletes and scans collide often.
KEYS = st.binary(max_size=2).map(lambda b: bytes(x % 4 for x in b))
VALUES = st.binary(max_size=16)


class CacheMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="redb-sm-"))
        self.path = self.dir / "cache.redb"
        self.writer = redb_cache.open_writer(self.path)
        self.committed: Model = {}
        self.pending: Model | None = None
        self.txn: redb_cache.WriteTxn | None = None

    def teardown(self) -> None:
        self.writer.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @initialize()
    def start(self) -> None:
        assert self.writer.list_tables() == []

    # ---- transaction lifecycle ----

    @precondition(lambda self: self.txn is None)
    @rule(durability=st.sampled_from(["immediate", "none"]))
    def begin(self, durability: str) -> None:
        self.txn = self.writer.transaction(durability=durability)  # type: ignore[arg-type]
        self.pending = copy.deepcopy(self.committed)

    @precondition(lambda self: self.txn is not None)
    @rule()
    def commit(self) -> None:
        assert self.txn is not None and self.pending is not None
        self.txn.commit()
        self.committed, self.txn, self.pending = self.pending, None, None

    @precondition(lambda self: self.txn is not None)
    @rule()
    def abort(self) -> None:
        assert self.txn is not None
        self.txn.abort()
        self.txn, self.pending = None, None

    @precondition(lambda self: self.txn is None)
    @rule(via_reader=st.booleans())
    def reopen(self, via_reader: bool) -> None:
        self.writer.close()
        if via_reader:
            with redb_cache.open_reader(self.path) as reader:
                assert self.snapshot(reader) == self.committed
        self.writer = redb_cache.open_writer(self.path, create=False)

    # ---- writes ----

    @precondition(lambda self: self.txn is not None)
    @rule(table=TABLES, key=KEYS, value=VALUES)
    def put(self, table: str, key: bytes, value: bytes) -> None:
        assert self.txn is not None and self.pending is not None
        self.txn.put(table, key, value)
        self.pending.setdefault(table, {})[key] = value

    @precondition(lambda self: self.txn is not None)
    @rule(table=TABLES, items=st.dictionaries(KEYS, VALUES, max_size=6))
    def put_many(self, table: str, items: dict[bytes, bytes]) -> None:
        assert self.txn is not None and self.pending is not None
        assert self.txn.put_many(table, list(items.items())) == len(items)
        self.pending.setdefault(table, {}).update(items)

    @precondition(lambda self: self.txn is not None)
    @rule(table=TABLES, key=KEYS)
    def delete(self, table: str, key: bytes) -> None:
        assert self.txn is not None and self.pending is not None
        expected = key in self.pending.get(table, {})
        assert self.txn.delete(table, key) is expected
        self.pending.get(table, {}).pop(key, None)

    @precondition(lambda self: self.txn is not None)
    @rule(table=TABLES, keys=st.lists(KEYS, max_size=5))
    def delete_many(self, table: str, keys: list[bytes]) -> None:
        assert self.txn is not None and self.pending is not None
        rows = self.pending.get(table, {})
        expected = len(set(keys) & rows.keys())
        assert self.txn.delete_many(table, keys) == expected
        for key in keys:
            rows.pop(key, None)

    @precondition(lambda self: self.txn is not None)
    @rule(table=TABLES)
    def clear(self, table: str) -> None:
        assert self.txn is not None and self.pending is not None
        expected = len(self.pending.get(table, {}))
        assert self.txn.clear(table) == expected
        if table in self.pending:
            self.pending[table] = {}

    @precondition(lambda self: self.txn is not None)
    @rule(table=TABLES)
    def drop_table(self, table: str) -> None:
        assert self.txn is not None and self.pending is not None
        assert self.txn.drop_table(table) is (table in self.pending)
        self.pending.pop(table, None)

    # ---- reads against the model ----

    @staticmethod
    def snapshot(source: redb_cache.Reader | redb_cache.Writer) -> Model:
        if isinstance(source, redb_cache.Reader):
            return {table: dict(source.scan(table)) for table in source.list_tables()}
        return {table: dict(committed_items(source, table)) for table in source.list_tables()}

    @precondition(lambda self: self.txn is None)
    @rule(table=TABLES, prefix=st.binary(max_size=1).map(lambda b: bytes(x % 4 for x in b)))
    def keys_prefix(self, table: str, prefix: bytes) -> None:
        if table not in self.committed:
            return
        expected = sorted(k for k in self.committed[table] if k.startswith(prefix))
        assert self.writer.keys(table, prefix=prefix) == expected
        assert self.writer.keys(table, prefix=prefix, reverse=True, limit=2) == expected[::-1][:2]

    @invariant()
    def committed_data_matches(self) -> None:
        assert self.snapshot(self.writer) == self.committed
        for table, rows in self.committed.items():
            assert self.writer.count(table) == len(rows)


CacheMachine.TestCase.settings = settings(
    max_examples=30, stateful_step_count=30, deadline=None, database=None, print_blob=True
)
TestCacheMachine = CacheMachine.TestCase
