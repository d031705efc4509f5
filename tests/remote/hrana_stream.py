"""One Hrana stream of the test server: a libSQL connection of its own, with
the stream requests (execute, batch, sequence, describe, stored SQL,
autocommit state) and the cursor entries of /v3/cursor."""

from __future__ import annotations

import time
from typing import Any

import libsql

from tests.remote.hrana_sql import (
    HranaError,
    bind,
    check_supported,
    decode_value,
    describe,
    encode_value,
    is_dml,
    sqlite_error,
)


class Stream:
    """A server-side stream; each owns a connection, as sqld's streams do, so
    per-connection state (pragmas, transactions) lives exactly as long as it."""

    def __init__(self, db_path: str, *, busy_timeout: float) -> None:
        self.conn = libsql.connect(db_path, isolation_level=None, timeout=busy_timeout)
        self.stored_sql: dict[int, str] = {}
        self.last_used = time.monotonic()

    @property
    def is_autocommit(self) -> bool:
        return not self.conn.in_transaction

    def close(self) -> None:
        """Close the connection; an open transaction is rolled back."""
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except ValueError:
            pass
        self.conn.close()

    # -- requests --------------------------------------------------------
    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run one ``StreamRequest`` (all but "close") and return its response."""
        kind = request.get("type")
        if kind == "execute":
            return {"type": "execute", "result": self.execute(request["stmt"])}
        if kind == "batch":
            return {"type": "batch", "result": self.batch(request["batch"])}
        if kind == "sequence":
            self.sequence(self._sql(request))
            return {"type": "sequence"}
        if kind == "describe":
            return {"type": "describe", "result": describe(self.conn, self._sql(request))}
        if kind == "store_sql":
            sql_id = int(request["sql_id"])
            if sql_id in self.stored_sql:
                raise HranaError(f"SQL text {sql_id} is already stored", "SQL_STORE_ID_USED")
            self.stored_sql[sql_id] = str(request["sql"])
            return {"type": "store_sql"}
        if kind == "close_sql":
            self.stored_sql.pop(int(request["sql_id"]), None)
            return {"type": "close_sql"}
        if kind == "get_autocommit":
            return {"type": "get_autocommit", "is_autocommit": self.is_autocommit}
        raise HranaError(f"unknown stream request {kind!r}", "PROTOCOL_ERROR")

    def _sql(self, holder: dict[str, Any]) -> str:
        sql, sql_id = holder.get("sql"), holder.get("sql_id")
        if (sql is None) == (sql_id is None):
            raise HranaError("exactly one of sql and sql_id is required", "PROTOCOL_ERROR")
        if sql is not None:
            return str(sql)
        try:
            return self.stored_sql[int(sql_id)]  # type: ignore[arg-type]
        except KeyError:
            raise HranaError(f"SQL text {sql_id} is not stored", "SQL_NOT_FOUND") from None

    def execute(self, stmt: dict[str, Any]) -> dict[str, Any]:
        """Run one ``Stmt`` and return its ``StmtResult``."""
        sql = self._sql(stmt)
        check_supported(sql)
        args = [decode_value(v) for v in stmt.get("args") or []]
        named = {a["name"]: decode_value(a["value"]) for a in stmt.get("named_args") or []}
        bound_sql, values = bind(sql, args, named)
        cursor = self.conn.cursor()
        try:
            cursor.execute(bound_sql, tuple(values))
            # Rows are always fetched: libsql reports some errors only then.
            rows = cursor.fetchall() if cursor.description else []
        except ValueError as exc:
            raise sqlite_error(exc) from None
        description = cursor.description or ()
        if not is_dml(sql):
            affected = 0
        elif description:
            affected = len(rows)  # RETURNING: one row per changed row
        else:
            affected = max(cursor.rowcount, 0)
        want_rows = stmt.get("want_rows")
        return {
            "cols": [{"name": column[0], "decltype": None} for column in description],
            "rows": [] if want_rows is False else [[encode_value(v) for v in r] for r in rows],
            "affected_row_count": affected,
            "last_insert_rowid": None if cursor.lastrowid is None else str(cursor.lastrowid),
        }

    def batch(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Run a ``Batch``: every step whose condition holds, errors per step."""
        results: list[dict[str, Any] | None] = []
        errors: list[dict[str, str] | None] = []
        for step in batch.get("steps") or []:
            condition = step.get("condition")
            if condition is not None and not self._holds(condition, results, errors):
                results.append(None)
                errors.append(None)
                continue
            try:
                results.append(self.execute(step["stmt"]))
                errors.append(None)
            except HranaError as exc:
                results.append(None)
                errors.append(exc.proto())
        return {"step_results": results, "step_errors": errors}

    def _holds(
        self,
        condition: dict[str, Any],
        results: list[dict[str, Any] | None],
        errors: list[dict[str, str] | None],
    ) -> bool:
        kind = condition.get("type")
        if kind in ("ok", "error"):
            step = int(condition["step"])
            if step >= len(results):
                raise HranaError(f"condition refers to step {step} not run yet", "PROTOCOL_ERROR")
            return (results if kind == "ok" else errors)[step] is not None
        if kind == "not":
            return not self._holds(condition["cond"], results, errors)
        if kind == "and":
            return all(self._holds(c, results, errors) for c in condition["conds"])
        if kind == "or":
            return any(self._holds(c, results, errors) for c in condition["conds"])
        if kind == "is_autocommit":
            return self.is_autocommit
        raise HranaError(f"unknown batch condition {kind!r}", "PROTOCOL_ERROR")

    def sequence(self, sql: str) -> None:
        try:
            self.conn.executescript(sql)
        except ValueError as exc:
            raise sqlite_error(exc) from None

    def cursor_entries(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        """The ``CursorEntry`` lines of /v3/cursor for ``batch``."""
        result = self.batch(batch)
        entries: list[dict[str, Any]] = []
        for step, (done, error) in enumerate(
            zip(result["step_results"], result["step_errors"], strict=True)
        ):
            if error is not None:
                entries.append({"type": "step_error", "step": step, "error": error})
            elif done is not None:
                entries.append({"type": "step_begin", "step": step, "cols": done["cols"]})
                entries.extend({"type": "row", "row": row} for row in done["rows"])
                entries.append(
                    {
                        "type": "step_end",
                        "affected_row_count": done["affected_row_count"],
                        "last_insert_rowid": done["last_insert_rowid"],
                    }
                )
        return entries
