"""The DB-API layer over libsql: parameters, cursors, errors, closed connections."""

from __future__ import annotations

from pathlib import Path

import libsql
import pytest
from django.db import connection

from memoryadmin.db.backends.libsql import dbapi


@pytest.fixture
def conn(tmp_path: Path):
    c = dbapi.connect(database=str(tmp_path / "driver.db"))
    c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v, u TEXT UNIQUE)")
    yield c
    c.close()


@pytest.mark.django_db
def test_live_django_connection_is_the_libsql_engine() -> None:
    connection.ensure_connection()
    assert connection.settings_dict["ENGINE"] == "memoryadmin.db.backends.libsql"
    assert isinstance(connection.connection.raw, libsql.Connection)
    assert type(connection.connection.raw).__name__ == "Connection"
    assert connection.Database is dbapi  # type: ignore[attr-defined]


def test_format_and_pyformat_placeholders(conn) -> None:
    conn.execute("INSERT INTO t (v, u) VALUES (%s, %s)", (1, "a"))
    conn.execute("INSERT INTO t (v, u) VALUES (%(v)s, %(u)s)", {"u": "b", "v": 2})
    rows = conn.execute("SELECT v, u FROM t WHERE u LIKE 'b%%' OR v = %s", (1,)).fetchall()
    assert sorted(rows) == [(1, "a"), (2, "b")]
    # Without params, % is passed through untouched.
    assert conn.execute("SELECT '100%'").fetchone() == ("100%",)


def test_placeholder_count_mismatch_is_an_error(conn) -> None:
    with pytest.raises(dbapi.ProgrammingError, match="placeholders"):
        conn.execute("SELECT %s, %s", (1,))
    with pytest.raises(dbapi.ProgrammingError, match="placeholders"):
        conn.execute("SELECT %s", (1, 2))
    with pytest.raises(dbapi.ProgrammingError, match="'missing'"):
        conn.execute("SELECT %(missing)s", {"other": 1})


def test_cursor_is_iterable_and_fetches_stop_at_the_end(conn) -> None:
    conn.executemany("INSERT INTO t (v) VALUES (%s)", [(i,) for i in range(600)])
    cur = conn.execute("SELECT v FROM t ORDER BY v")
    assert [row[0] for row in cur] == list(range(600))
    # libsql's own cursor starts over after exhaustion; ours must not.
    assert cur.fetchone() is None
    assert cur.fetchall() == []
    cur = conn.execute("SELECT v FROM t ORDER BY v")
    assert cur.fetchmany(2) == [(0,), (1,)]
    assert len(cur.fetchall()) == 598
    assert cur.fetchmany(5) == []


def test_rowcount_lastrowid_description_per_statement(conn) -> None:
    cur = conn.cursor()
    cur.execute("INSERT INTO t (v) VALUES (%s)", (10,))
    assert cur.rowcount == 1
    first_id = cur.lastrowid
    cur.execute("INSERT INTO t (v) VALUES (%s)", (11,))
    assert cur.rowcount == 1  # libsql alone reports 2 here
    assert cur.lastrowid == first_id + 1
    cur.execute("UPDATE t SET v = v + 1")
    assert cur.rowcount == 2
    cur.execute("SELECT id AS ident, v FROM t")
    assert cur.rowcount == -1
    assert [d[0] for d in cur.description] == ["ident", "v"]
    cur.execute("DELETE FROM t WHERE v = %s", (999,))
    assert cur.rowcount == 0
    assert cur.description is None
    cur.executemany("INSERT INTO t (v) VALUES (%s)", [(1,), (2,), (3,)])
    assert cur.rowcount == 3


def test_parameter_types_are_adapted(conn) -> None:
    import datetime
    import decimal
    import uuid

    values = [
        datetime.datetime(2024, 2, 29, 23, 59, 58, 123456),
        datetime.date(2024, 2, 29),
        decimal.Decimal("12.3456"),
        memoryview(b"\x00\x01"),
        bytearray(b"\x02"),
        True,
        uuid.UUID(int=5),
    ]
    got = conn.execute("SELECT " + ", ".join(["%s"] * len(values)), values).fetchone()
    assert got == (
        "2024-02-29 23:59:58.123456",
        "2024-02-29",
        "12.3456",
        b"\x00\x01",
        b"\x02",
        1,
        uuid.UUID(int=5).hex,
    )
    with pytest.raises(dbapi.ProgrammingError, match="parameter 1 has unsupported type dict"):
        conn.execute("SELECT %s", ({"a": 1},))


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 2**62 + 1, 2**63 - 1, -(2**63)])
def test_wide_integers_bind_exactly(conn, value: int) -> None:
    conn.execute("INSERT INTO t (v) VALUES (%s)", (value,))
    assert conn.execute("SELECT v, typeof(v) FROM t").fetchone() == (value, "integer")
    assert conn.execute("SELECT count(*) FROM t WHERE v = %s", (value,)).fetchone() == (1,)
    conn.executemany("INSERT INTO t (v) VALUES (%s)", [(value,), (7,)])
    assert conn.execute("SELECT count(*) FROM t WHERE v = %s", (value,)).fetchone() == (2,)


def test_negative_wide_integer_after_a_minus_sign(conn) -> None:
    assert conn.execute("SELECT 5 -%s, 1", (-(2**40),)).fetchone() == (5 + 2**40, 1)


@pytest.mark.parametrize(
    ("sql", "params", "error"),
    [
        ("INSERT INTO t (u) VALUES ('dup')", None, dbapi.IntegrityError),
        ("INSERT INTO nope VALUES (1)", None, dbapi.OperationalError),
        ("SELEC 1", None, dbapi.OperationalError),
        ("SELECT no_column FROM t", None, dbapi.OperationalError),
        ("SELECT md5('x')", None, dbapi.NotSupportedError),
    ],
)
def test_engine_errors_map_to_dbapi_classes(conn, sql, params, error) -> None:
    conn.execute("INSERT INTO t (u) VALUES ('dup')")
    with pytest.raises(error):
        conn.execute(sql, params)


def test_not_null_and_foreign_key_are_integrity_errors(conn) -> None:
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER NOT NULL REFERENCES t(id))")
    with pytest.raises(dbapi.IntegrityError, match="NOT NULL"):
        conn.execute("INSERT INTO c (p) VALUES (NULL)")
    with pytest.raises(dbapi.IntegrityError, match="FOREIGN KEY"):
        conn.execute("INSERT INTO c (p) VALUES (12345)")


def test_closed_connection_raises_a_catchable_error(conn) -> None:
    cur = conn.cursor()
    conn.close()
    with pytest.raises(dbapi.InterfaceError, match="closed"):
        conn.execute("SELECT 1")
    with pytest.raises(dbapi.InterfaceError):
        cur.execute("SELECT 1")
    with pytest.raises(Exception):
        conn.commit()
    conn.close()  # idempotent


def test_manual_commit_mode_opens_transactions_before_dml(conn) -> None:
    conn.isolation_level = ""
    conn.execute("INSERT INTO t (v) VALUES (1)")
    assert conn.in_transaction
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    conn.execute("INSERT INTO t (v) VALUES (2)")
    conn.commit()
    conn.isolation_level = None
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)
