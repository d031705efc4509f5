"""Remote mode when things go wrong: a wrong token, a server that stops, a
transaction left idle past the server's stream expiry. Each fails fast with
an OperationalError that never shows the token."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.db import OperationalError, connections, transaction

from memoryadmin.health import database_health
from tests.remote.conftest import HranaServer

WRONG_TOKEN = "tok-wrong-77aa01"


def test_wrong_token_is_a_clear_operational_error(
    server_factory: Callable[..., HranaServer], remote_alias: Callable[..., str]
) -> None:
    server = server_factory()
    alias = remote_alias(server, token=WRONG_TOKEN)
    started = time.monotonic()
    with pytest.raises(OperationalError) as caught, connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
    assert time.monotonic() - started < 2.0
    message = str(caught.value)
    assert "401" in message
    assert "Authentication failed" in message
    assert WRONG_TOKEN not in message
    assert server.token not in message
    report = database_health(alias=alias)
    assert report["ok"] is False
    assert "401" in report["error"]
    assert WRONG_TOKEN not in report["error"]
    # The server saw the bearer token and refused every request: nothing ran.
    assert server.requests()[-1]["path"] == "/v3/pipeline"


def test_server_stopping_mid_use_fails_fast(
    server_factory: Callable[..., HranaServer], remote_alias: Callable[..., str]
) -> None:
    server = server_factory()
    alias = remote_alias(server, deadline=0.5)
    conn = connections[alias]
    with conn.cursor() as cursor:
        cursor.execute("CREATE TABLE kept (n INTEGER)")
        cursor.execute("INSERT INTO kept VALUES (1)")
    server.stop()

    # The open connection: the next request is refused at once.
    started = time.monotonic()
    with pytest.raises(OperationalError), conn.cursor() as cursor:
        cursor.execute("SELECT n FROM kept")
    assert time.monotonic() - started < 2.0
    assert conn.is_usable() is False

    # A new connection: the pre-flight refuses it before libsql is involved.
    conn.close()
    started = time.monotonic()
    with pytest.raises(OperationalError, match="unreachable"):
        conn.ensure_connection()
    assert time.monotonic() - started < 1.0
    report = database_health(alias=alias)
    assert report["ok"] is False
    assert server.token not in report["error"]


def test_idle_transaction_past_stream_expiry_is_rolled_back(
    server_factory: Callable[..., HranaServer], remote_alias: Callable[..., str]
) -> None:
    server = server_factory(stream_ttl=10)
    alias = remote_alias(server)
    conn = connections[alias]
    with conn.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER)")
    with pytest.raises(OperationalError, match="expired"), transaction.atomic(using=alias):
        with conn.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
        server.advance_clock(11)  # idle past the TTL: the server closes it, rolling it back
        with conn.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (2)")
    # The ROLLBACK failed too (the libsql connection keeps the dead stream's
    # baton), so Django dropped that connection and opened a fresh one, which
    # finds nothing committed.
    assert conn.is_usable() is True
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone() == (0,)


def test_idle_autocommit_connection_after_a_select_needs_a_reconnect(
    server_factory: Callable[..., HranaServer], remote_alias: Callable[..., str]
) -> None:
    """A SELECT leaves the client's stream open (libsql 0.1.11 reads rows through
    /v3/cursor and keeps the baton); once the server expires it, the next
    statement on that connection fails until Django reconnects."""
    server = server_factory(stream_ttl=10)
    alias = remote_alias(server)
    conn = connections[alias]
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    server.advance_clock(11)  # idle past the TTL
    with pytest.raises(OperationalError, match="expired"), conn.cursor() as cursor:
        cursor.execute("SELECT 2")
    # CONN_HEALTH_CHECKS' probe at a request's start sees it, and Django reconnects.
    assert conn.is_usable() is False
    conn.close()
    with conn.cursor() as cursor:
        cursor.execute("SELECT 3")
        assert cursor.fetchone() == (3,)
