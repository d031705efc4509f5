"""The libSQL backend in remote mode, through the libsql client, against a
Hrana-over-HTTP peer serving a real libSQL file (tests/remote/hrana_server.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import libsql
import pytest
from django.db import IntegrityError, connections, models, transaction

from memoryadmin.health import database_health
from tests.remote.conftest import HranaServer
from tests.remote.models import RemoteChild, RemoteProbe


@pytest.fixture
def alias(hrana_server: HranaServer, remote_alias: Callable[..., str]) -> Iterator[str]:
    """A remote alias with the probe tables created by the schema editor."""
    name = remote_alias(hrana_server)
    with connections[name].schema_editor() as editor:
        editor.create_model(RemoteProbe)
        editor.create_model(RemoteChild)
    yield name
    with connections[name].schema_editor() as editor:
        editor.delete_model(RemoteChild)
        editor.delete_model(RemoteProbe)


def test_the_connection_is_a_remote_libsql_one(alias: str) -> None:
    conn = connections[alias]
    conn.ensure_connection()
    assert conn.is_remote  # type: ignore[attr-defined]
    assert isinstance(conn.connection.raw, libsql.Connection)
    tables = conn.introspection.table_names()
    assert {"test_remote_probe", "test_remote_child"} <= set(tables)


def test_orm_round_trip_with_wide_integers(alias: str) -> None:
    wide = 2**62 + 1
    probe = RemoteProbe.objects.using(alias).create(
        big=wide, label="wide", ratio=0.25, blob=b"\x00\xfe"
    )
    assert probe.pk is not None
    again = RemoteProbe.objects.using(alias).get(pk=probe.pk)
    assert (again.big, again.ratio, bytes(again.blob)) == (wide, 0.25, b"\x00\xfe")
    assert RemoteProbe.objects.using(alias).filter(big=wide).count() == 1
    assert RemoteProbe.objects.using(alias).filter(big__gt=2**62).get().label == "wide"
    negative = RemoteProbe.objects.using(alias).create(big=-(2**62) - 1, label="neg")
    assert RemoteProbe.objects.using(alias).get(pk=negative.pk).big == -(2**62) - 1


def test_raw_cursor_values_and_rowcount(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "INSERT INTO test_remote_probe (label, big, blob, ratio) VALUES (%s, %s, %s, %s)",
            ["raw", 2**40, b"\x00\xff", 1.5],
        )
        assert cursor.rowcount == 1
        cursor.execute("UPDATE test_remote_probe SET ratio = %s WHERE label = %s", [2.5, "raw"])
        assert cursor.rowcount == 1
        cursor.execute("SELECT label, big, blob, ratio FROM test_remote_probe WHERE label = 'raw'")
        assert [c[0] for c in cursor.description] == ["label", "big", "blob", "ratio"]
        assert cursor.fetchall() == [("raw", 2**40, b"\x00\xff", 2.5)]


def test_unique_violation_is_an_integrity_error(alias: str) -> None:
    RemoteProbe.objects.using(alias).create(label="dup")
    with pytest.raises(IntegrityError, match="UNIQUE constraint failed"):
        RemoteProbe.objects.using(alias).create(label="dup")
    assert RemoteProbe.objects.using(alias).filter(label="dup").count() == 1


def test_foreign_keys_are_enforced(alias: str) -> None:
    orphan = RemoteChild(parent_id=424242, name="orphan")
    with (
        pytest.raises(IntegrityError, match="FOREIGN KEY constraint failed"),
        transaction.atomic(using=alias),
    ):
        orphan.save(using=alias)


def test_atomic_rollback_leaves_nothing_behind(alias: str) -> None:
    with pytest.raises(RuntimeError), transaction.atomic(using=alias):
        RemoteProbe.objects.using(alias).create(label="gone")
        assert connections[alias].in_atomic_block
        assert connections[alias].connection.in_transaction
        raise RuntimeError("roll back")
    assert not RemoteProbe.objects.using(alias).filter(label="gone").exists()


def test_savepoints_roll_back_the_inner_block_only(alias: str) -> None:
    with transaction.atomic(using=alias):
        RemoteProbe.objects.using(alias).create(label="outer")
        with pytest.raises(IntegrityError), transaction.atomic(using=alias):
            RemoteProbe.objects.using(alias).create(label="inner")
            RemoteProbe.objects.using(alias).create(label="outer")
    labels = set(RemoteProbe.objects.using(alias).values_list("label", flat=True))
    assert labels == {"outer"}


def test_atomic_commit_is_visible_to_another_connection(
    alias: str, hrana_server: HranaServer, remote_alias: Callable[..., str]
) -> None:
    other = remote_alias(hrana_server)
    with transaction.atomic(using=alias):
        parent = RemoteProbe.objects.using(alias).create(label="parent")
        RemoteChild.objects.using(alias).create(parent=parent, name="child")
    assert RemoteChild.objects.using(other).get().parent.pk == parent.pk


def test_health_reports_remote_and_ok(alias: str, hrana_server: HranaServer) -> None:
    seen = len(hrana_server.requests())
    report = database_health(alias=alias)
    assert report["ok"] is True, report
    assert report["mode"] == "remote"
    assert report["sqlite_version"].startswith("3.")
    # A real round trip to the server, within the alias's 2 s deadline.
    assert len(hrana_server.requests()) > seen
    assert 0 < report["ping_ms"] < 2000


def test_schema_editor_runs_with_foreign_keys_off(alias: str, hrana_server: HranaServer) -> None:
    conn = connections[alias]
    seen = len(hrana_server.requests())
    with conn.schema_editor() as editor, editor.connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone() == (0,)
    with conn.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone() == (1,)
    # Sent in one batch with BEGIN, on the stream the transaction keeps open.
    batches = [
        [step["stmt"]["sql"] for step in request["batch"]["steps"]]
        for entry in hrana_server.requests()[seen:]
        for request in (entry["body"] or {}).get("requests", [])
        if request["type"] == "batch"
    ]
    assert ["PRAGMA foreign_keys = OFF;", "BEGIN;"] in batches


def test_altering_a_referenced_table_keeps_its_rows(alias: str) -> None:
    parent = RemoteProbe.objects.using(alias).create(label="parent", big=2**62 + 1)
    RemoteChild.objects.using(alias).create(parent=parent, name="child")
    old = RemoteProbe._meta.get_field("label")
    new: models.CharField[str, str] = models.CharField(max_length=80, unique=True)
    new.set_attributes_from_name("label")
    new.model = RemoteProbe
    # SQLite rebuilds the table (create, copy, drop, rename): only sound with
    # foreign keys off, or dropping the referenced table would break the child.
    with connections[alias].schema_editor() as editor:
        editor.alter_field(RemoteProbe, old, new)
    child = RemoteChild.objects.using(alias).select_related("parent").get()
    assert (child.parent.label, child.parent.big) == ("parent", 2**62 + 1)
    with connections[alias].cursor() as cursor:
        cursor.execute("PRAGMA foreign_key_check")
        assert cursor.fetchall() == []


def test_what_the_libsql_client_sends(alias: str, hrana_server: HranaServer) -> None:
    """libsql 0.1.11 speaks Hrana 3 over HTTP in JSON: a "describe" before each
    statement, rows read through /v3/cursor, other statements as one-step
    batches followed by get_autocommit (and close outside a transaction)."""
    seen = len(hrana_server.requests())
    with transaction.atomic(using=alias):
        RemoteProbe.objects.using(alias).create(label="sent")
    assert RemoteProbe.objects.using(alias).filter(label="sent").count() == 1
    with connections[alias].cursor() as cursor:
        cursor.execute("DELETE FROM test_remote_probe WHERE label = %s", ["sent"])
    sent = hrana_server.requests()[seen:]
    assert {entry["path"] for entry in sent} <= {"/health", "/v3/pipeline", "/v3/cursor"}
    kinds = {
        request["type"] for entry in sent for request in (entry["body"] or {}).get("requests", [])
    }
    assert kinds == {"describe", "batch", "get_autocommit", "close"}
    cursor_sql = [
        step["stmt"]["sql"]
        for entry in sent
        if entry["path"] == "/v3/cursor"
        for step in entry["body"]["batch"]["steps"]
    ]
    assert any(sql.startswith("INSERT INTO") and "RETURNING" in sql for sql in cursor_sql)


def test_the_raw_client_binds_wide_ints_as_floats(hrana_server: HranaServer) -> None:
    """Why the backend writes wide integers as SQL literals: libsql 0.1.11
    itself sends a Python int outside 32 bits as a float."""
    raw = libsql.connect(hrana_server.url, auth_token=hrana_server.token, isolation_level=None)
    try:
        assert raw.execute("SELECT ?", (2**53 + 1,)).fetchall() == [(float(2**53),)]
    finally:
        raw.close()
