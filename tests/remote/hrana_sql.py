"""SQL-level pieces of the test Hrana server: values, placeholders, sqld's
statement allow-list, and describing a statement without keeping its effects.

Everything here runs against a real libSQL connection (the `libsql` package),
never Python's sqlite3.
"""

from __future__ import annotations

import base64
import re
from typing import Any

# libsql binds Python ints outside 32 bits as REAL; wider integers are written
# into the SQL as literals instead (the same gap the Django backend closes).
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1

# SQLite's lexical pieces that can hide a "?" or ":name": literals, quoted
# identifiers and comments are matched first and skipped.
_TOKENS = re.compile(
    r"""
    '(?:[^']|'')*'
    | "(?:[^"]|"")*"
    | `(?:[^`]|``)*`
    | \[[^\]]*\]
    | --[^\n]*
    | /\*.*?(?:\*/|\Z)
    | (?P<qmark>\?(?P<number>\d*))
    | (?P<named>[:@$][A-Za-z0-9_]+)
    """,
    re.S | re.X,
)


class HranaError(Exception):
    """An error reported to the client as a Hrana ``Error`` structure."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def proto(self) -> dict[str, str]:
        return {"message": self.message, "code": self.code}


_SQLITE_CODES = (
    (re.compile(r"constraint failed", re.I), "SQLITE_CONSTRAINT"),
    (re.compile(r"locked|busy", re.I), "SQLITE_BUSY"),
    (re.compile(r"readonly|read-only", re.I), "SQLITE_READONLY"),
    (re.compile(r"datatype mismatch", re.I), "SQLITE_MISMATCH"),
    (re.compile(r"too big", re.I), "SQLITE_TOOBIG"),
)


def sqlite_error(exc: BaseException) -> HranaError:
    """The engine's error worded as sqld words it ("SQLite error: ...")."""
    message = str(exc)
    code = next((c for pattern, c in _SQLITE_CODES if pattern.search(message)), "SQLITE_ERROR")
    return HranaError(f"SQLite error: {message}", code)


# -- values ----------------------------------------------------------------
def decode_value(value: dict[str, Any]) -> Any:
    kind = value.get("type")
    if kind == "null":
        return None
    if kind == "integer":
        return int(value["value"])
    if kind == "float":
        return float(value["value"])
    if kind == "text":
        return str(value["value"])
    if kind == "blob":
        data = str(value["base64"])
        return base64.b64decode(data + "=" * (-len(data) % 4))
    raise HranaError(f"unknown value type {kind!r}", "PROTOCOL_ERROR")


def encode_value(value: Any) -> dict[str, Any]:
    if value is None:
        return {"type": "null"}
    if isinstance(value, int):
        return {"type": "integer", "value": str(value)}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    if isinstance(value, str):
        return {"type": "text", "value": value}
    if isinstance(value, bytes | bytearray | memoryview):
        # Unpadded, as the libsql client encodes its own blobs.
        return {"type": "blob", "base64": base64.b64encode(bytes(value)).decode().rstrip("=")}
    raise HranaError(f"cannot encode {type(value).__name__}", "INTERNAL")


# -- placeholders ------------------------------------------------------------
def placeholders(sql: str) -> list[tuple[int, int, int, str | None]]:
    """(start, end, 1-based index, name) of each parameter, by SQLite's numbering:
    "?" takes the next number after the largest so far, "?NNN" its own, and a
    name keeps the number of its first appearance."""
    found: list[tuple[int, int, int, str | None]] = []
    largest = 0
    named: dict[str, int] = {}
    for match in _TOKENS.finditer(sql):
        name: str | None = None
        if match.group("qmark") is not None:
            number = match.group("number")
            index = int(number) if number else largest + 1
            name = f"?{number}" if number else None
        elif (name := match.group("named")) is not None:
            index = named.setdefault(name, largest + 1)
        else:
            continue
        largest = max(largest, index)
        found.append((match.start(), match.end(), index, name))
    return found


def bind(sql: str, args: list[Any], named: dict[str, Any]) -> tuple[str, list[Any]]:
    """Rewrite ``sql`` to anonymous "?" placeholders with the values in order
    (wide integers inlined), checking that arguments and parameters match."""
    spans = placeholders(sql)
    count = max((index for _, _, index, _ in spans), default=0)
    if args and named:
        raise HranaError(
            "Specifying both positional and named arguments is not supported",
            "ARGS_BOTH_POSITIONAL_AND_NAMED",
        )
    if len(args) > count:
        raise HranaError(
            f"Arguments do not match SQL parameters: {len(args)} arguments for {count} parameters",
            "ARGS_INVALID",
        )
    pieces: list[str] = []
    values: list[Any] = []
    position = 0
    for start, end, index, name in spans:
        if name is not None and name[0] != "?" and (name in named or name[1:] in named):
            value = named[name] if name in named else named[name[1:]]
        elif index <= len(args):
            value = args[index - 1]
        else:
            raise HranaError(
                f"Arguments do not match SQL parameters: no value for parameter {name or index}",
                "ARGS_INVALID",
            )
        pieces.append(sql[position:start])
        if isinstance(value, int) and not _INT32_MIN <= value <= _INT32_MAX:
            pieces.append(f"({value})")  # parenthesised: "- -5" must not become "--5"
        else:
            pieces.append("?")
            values.append(value)
        position = end
    pieces.append(sql[position:])
    return "".join(pieces), values


# -- sqld's statement policy ------------------------------------------------
# From libsql-server's query_analysis.rs: pragmas it serves, and those it
# serves only without a value; every other pragma (and TEMP objects, VACUUM,
# ANALYZE, ATTACH/DETACH of files) is "unsupported statement".
def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


_PRAGMAS_ALWAYS = _names(
    """table_list index_list table_info table_xinfo index_info index_xinfo pragma_list
    compile_options database_list function_list module_list encoding defer_foreign_keys
    foreign_keys foreign_key_list foreign_key_check collation_list data_version
    freelist_count integrity_check legacy_file_format page_count quick_check stats
    user_version"""
)
_PRAGMAS_READ_ONLY = _names(
    """analysis_limit application_id auto_vacuum automatic_index busy_timeout cache_size
    cache_spill cell_size_check checkpoint_fullfsync fullfsync hard_heap_limit journal_mode
    journal_size_limit legacy_alter_table locking_mode max_page_count mmap_size page_size
    query_only read_uncommitted recursive_triggers reverse_unordered_selects secure_delete
    soft_heap_limit synchronous temp_store threads trusted_schema wal_autocheckpoint
    schema_version"""
)
_PRAGMA = re.compile(
    r"^\s*(?:EXPLAIN\s+(?:QUERY\s+PLAN\s+)?)?PRAGMA\s+(?:\w+\s*\.\s*)?(\w+)\s*([=(])?", re.I
)
_UNSUPPORTED = re.compile(
    r"^\s*(?:CREATE\s+TEMP(?:ORARY)?\b|VACUUM\b|ANALYZE\b|ATTACH\b|DETACH\b)", re.I
)
_EXPLAIN = re.compile(r"^\s*EXPLAIN\b", re.I)
_DML = re.compile(r"^\s*(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.I)


def check_supported(sql: str) -> None:
    """Raise the error sqld gives for a statement it refuses to run."""
    if pragma := _PRAGMA.match(sql):
        name, has_value = pragma.group(1).lower(), pragma.group(2) is not None
        if name in _PRAGMAS_ALWAYS or (name in _PRAGMAS_READ_ONLY and not has_value):
            return
    elif not _UNSUPPORTED.match(sql):
        return
    raise HranaError(f"unsupported statement: {sql}", "SQL_PARSE_ERROR")


def is_dml(sql: str) -> bool:
    return bool(_DML.match(sql))


# -- describe ----------------------------------------------------------------
def describe(conn: Any, sql: str) -> dict[str, Any]:
    """A ``DescribeResult``. The libsql package cannot prepare without running,
    so EXPLAIN tells whether the statement yields rows (a ResultRow opcode)
    and whether it writes (a write Transaction opcode); for the column names
    a row-yielding statement is started inside a savepoint that is rolled back.
    """
    check_supported(sql)
    spans = placeholders(sql)
    count = max((index for _, _, index, _ in spans), default=0)
    names: dict[int, str | None] = {index: name for _, _, index, name in spans}
    params = [{"name": names.get(i)} for i in range(1, count + 1)]
    explain = bool(_EXPLAIN.match(sql))
    try:
        if explain:
            cols, readonly = _column_names(conn, sql, savepoint=False), True
        else:
            program = conn.execute(f"EXPLAIN {sql}").fetchall()
            yields_rows = any(op[1] == "ResultRow" for op in program)
            readonly = not any(op[1] == "Transaction" and op[3] for op in program)
            cols = _column_names(conn, sql, savepoint=True) if yields_rows else []
    except ValueError as exc:
        raise sqlite_error(exc) from None
    return {
        "params": params,
        "cols": [{"name": name, "decltype": None} for name in cols],
        "is_explain": explain,
        "is_readonly": readonly,
    }


def _column_names(conn: Any, sql: str, *, savepoint: bool) -> list[str]:
    if savepoint:
        conn.execute("SAVEPOINT hrana_describe")
    try:
        cursor = conn.cursor()
        cursor.execute(sql)  # unbound parameters are NULL; errors wait for a fetch
        names = [column[0] for column in cursor.description or ()]
        del cursor  # finalise the statement before rolling back
        return names
    finally:
        if savepoint:
            conn.execute("ROLLBACK TO hrana_describe")
            conn.execute("RELEASE hrana_describe")
