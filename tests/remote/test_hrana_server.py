"""The test peer itself speaks Hrana over HTTP as the spec and sqld do: raw
requests, no libsql client in between."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.remote.conftest import HranaServer


def _http(
    server: HranaServer, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(
        server.url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {server.token if token is None else token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def pipeline(server: HranaServer, requests: list[dict[str, Any]], baton: str | None = None):
    status, raw = _http(server, "POST", "/v3/pipeline", {"baton": baton, "requests": requests})
    assert status == 200, raw
    return json.loads(raw)


def stmt(sql: str, *args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "execute", "stmt": {"sql": sql, "args": list(args), **extra}}


def integer(value: int) -> dict[str, str]:
    return {"type": "integer", "value": str(value)}


def rows(result: dict[str, Any]) -> list[list[dict[str, Any]]]:
    assert result["type"] == "ok", result
    return result["response"]["result"]["rows"]


@pytest.mark.parametrize("path", ["/health", "/v2", "/v3"])
def test_health_and_version_checks_answer_without_a_token(
    hrana_server: HranaServer, path: str
) -> None:
    assert _http(hrana_server, "GET", path, token="")[0] == 200


@pytest.mark.parametrize("token", ["", "tok-not-it"])
def test_wrong_or_missing_token_is_401_without_echo(hrana_server: HranaServer, token: str) -> None:
    status, raw = _http(
        hrana_server, "POST", "/v3/pipeline", {"baton": None, "requests": []}, token
    )
    assert status == 401
    assert b"Authentication failed" in raw
    assert hrana_server.token.encode() not in raw
    assert token.encode() not in raw or not token


def test_values_round_trip_with_their_types(hrana_server: HranaServer) -> None:
    values: list[dict[str, Any]] = [
        integer(2**62 + 1),
        integer(-(2**63)),
        {"type": "float", "value": 0.5},
        {"type": "text", "value": "héllo"},
        {"type": "blob", "base64": "AAH/"},
        {"type": "null"},
    ]
    body = pipeline(hrana_server, [stmt("SELECT ?, ?, ?, ?, ?, ?", *values), {"type": "close"}])
    assert rows(body["results"][0]) == [values]
    assert body["baton"] is None


def test_named_arguments_and_sqlite_numbering(hrana_server: HranaServer) -> None:
    named = {
        "named_args": [{"name": ":a", "value": integer(1)}, {"name": "b", "value": integer(2)}]
    }
    numbered = stmt("SELECT ?2, ?1, ?", integer(1), integer(2), integer(3))
    body = pipeline(hrana_server, [stmt("SELECT :a, @b, :a", **named), numbered])
    assert rows(body["results"][0]) == [[integer(1), integer(2), integer(1)]]
    # "?" after "?2" is parameter 3, as SQLite numbers them.
    assert rows(body["results"][1]) == [[integer(2), integer(1), integer(3)]]
    # Too many or too few arguments is an error, never a silent NULL.
    mismatch = pipeline(hrana_server, [stmt("SELECT ?", integer(1), integer(2)), stmt("SELECT ?")])
    assert [r["error"]["code"] for r in mismatch["results"]] == ["ARGS_INVALID", "ARGS_INVALID"]


def test_batons_are_single_use_and_streams_keep_transactions(hrana_server: HranaServer) -> None:
    setup = pipeline(hrana_server, [stmt("CREATE TABLE IF NOT EXISTS tx (n INTEGER)")])
    first = pipeline(
        hrana_server,
        [stmt("BEGIN"), stmt("INSERT INTO tx VALUES (1)"), {"type": "get_autocommit"}],
        baton=setup["baton"],
    )
    assert first["results"][2]["response"]["is_autocommit"] is False
    # Another stream does not see the uncommitted row.
    other = pipeline(hrana_server, [stmt("SELECT count(*) FROM tx"), {"type": "close"}])
    assert rows(other["results"][0]) == [[integer(0)]]
    # The used baton is dead; the new one carries the transaction on.
    status, raw = _http(
        hrana_server, "POST", "/v3/pipeline", {"baton": setup["baton"], "requests": []}
    )
    assert status == 400
    assert b"invalid baton" in raw
    done = pipeline(
        hrana_server,
        [stmt("ROLLBACK"), {"type": "get_autocommit"}, {"type": "close"}, stmt("SELECT 1")],
        baton=first["baton"],
    )
    assert done["results"][1]["response"]["is_autocommit"] is True
    assert done["results"][3]["error"]["code"] == "STREAM_CLOSED"
    assert done["baton"] is None


def test_batch_conditions(hrana_server: HranaServer) -> None:
    def step(sql: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"condition": condition, "stmt": {"sql": sql}}

    steps = [
        step("SELECT 1"),
        step("SELECT * FROM no_such_table"),
        step("SELECT 2", {"type": "ok", "step": 1}),
        step("SELECT 3", {"type": "error", "step": 1}),
        step("SELECT 4", {"type": "not", "cond": {"type": "ok", "step": 0}}),
        step(
            "SELECT 5",
            {
                "type": "and",
                "conds": [
                    {"type": "ok", "step": 3},
                    {"type": "or", "conds": [{"type": "ok", "step": 2}, {"type": "is_autocommit"}]},
                ],
            },
        ),
    ]
    body = pipeline(hrana_server, [{"type": "batch", "batch": {"steps": steps}}])
    result = body["results"][0]["response"]["result"]
    ran = [r is not None for r in result["step_results"]]
    assert ran == [True, False, False, True, False, True]
    errors = result["step_errors"]
    assert errors[1]["message"] == "SQLite error: no such table: no_such_table"
    assert [e is None for e in errors] == [True, False, True, True, True, True]


def test_stored_sql_sequence_and_describe(hrana_server: HranaServer) -> None:
    body = pipeline(
        hrana_server,
        [
            {"type": "sequence", "sql": "CREATE TABLE IF NOT EXISTS seq (a, b); DELETE FROM seq;"},
            {"type": "store_sql", "sql_id": 7, "sql": "INSERT INTO seq VALUES (?, :b)"},
            {"type": "describe", "sql_id": 7},
            {"type": "execute", "stmt": {"sql_id": 7, "args": [integer(1), integer(2)]}},
            {"type": "close_sql", "sql_id": 7},
            {"type": "execute", "stmt": {"sql_id": 7}},
            {"type": "describe", "sql": "SELECT a AS first, b FROM seq WHERE a = ?"},
            {"type": "describe", "sql": "EXPLAIN SELECT 1"},
        ],
    )
    results = body["results"]
    assert [r["type"] for r in results] == ["ok", "ok", "ok", "ok", "ok", "error", "ok", "ok"]
    insert = results[2]["response"]["result"]
    assert insert["params"] == [{"name": None}, {"name": ":b"}]
    assert insert["cols"] == [] and insert["is_readonly"] is False
    assert results[3]["response"]["result"]["affected_row_count"] == 1
    select = results[6]["response"]["result"]
    assert [c["name"] for c in select["cols"]] == ["first", "b"]
    assert select["is_readonly"] is True and select["is_explain"] is False
    assert results[7]["response"]["result"]["is_explain"] is True
    # describe ran nothing: the table still holds the one row inserted above.
    count = pipeline(hrana_server, [stmt("SELECT count(*) FROM seq")], body["baton"])
    assert rows(count["results"][0]) == [[integer(1)]]


@pytest.mark.parametrize(
    "sql",
    [
        "PRAGMA journal_mode = WAL",
        "PRAGMA legacy_alter_table = OFF",
        "VACUUM",
        "CREATE TEMP TABLE x (a)",
    ],
)
def test_statements_sqld_refuses(hrana_server: HranaServer, sql: str) -> None:
    body = pipeline(hrana_server, [stmt(sql), {"type": "describe", "sql": sql}])
    for result in body["results"]:
        assert result["error"] == {
            "message": f"unsupported statement: {sql}",
            "code": "SQL_PARSE_ERROR",
        }


def test_cursor_streams_entries_as_json_lines(hrana_server: HranaServer) -> None:
    batch = {
        "steps": [
            {"stmt": {"sql": "SELECT 1 AS one UNION ALL SELECT 2"}},
            {"stmt": {"sql": "SELECT nope"}},
        ]
    }
    status, raw = _http(hrana_server, "POST", "/v3/cursor", {"baton": None, "batch": batch})
    assert status == 200
    head, *entries = [json.loads(line) for line in raw.decode().splitlines()]
    assert head["baton"] and head["base_url"] is None
    assert [e["type"] for e in entries] == ["step_begin", "row", "row", "step_end", "step_error"]
    assert entries[0]["cols"] == [{"name": "one", "decltype": None}]
    assert entries[2]["row"] == [integer(2)]
    assert entries[4]["step"] == 1 and "no such column" in entries[4]["error"]["message"]
