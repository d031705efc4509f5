"""Connection and cursor wrappers that make libsql behave like sqlite3 for Django."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import libsql

from .errors import InterfaceError, ProgrammingError, engine_errors
from .params import bind

_FETCH_CHUNK = 256
_DML = ("insert", "update", "delete", "replace")
_BEGIN = re.compile(r"\s*BEGIN\b", re.I)


class Cursor:
    """A DB-API cursor over one libsql cursor per statement.

    A fresh libsql cursor per ``execute`` keeps ``rowcount``/``lastrowid``
    per statement (libsql's accumulate across statements on one cursor).
    Rows are streamed in chunks and the end is remembered, because libsql's
    cursor starts over when fetched again after it was exhausted.
    """

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.description: tuple[tuple[Any, ...], ...] | None = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._raw: Any = None
        self._buffer: list[tuple[Any, ...]] = []
        self._exhausted = True
        self._closed = False

    # -- executing -------------------------------------------------------
    def execute(
        self, query: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> Cursor:
        self._check_open()
        sql, args = bind(query, params)
        self.connection._begin_if_manual(sql)
        if not args and self.connection._begin_without_foreign_keys(sql):
            self._take_nothing()
            return self
        raw = self.connection._raw_cursor()
        with engine_errors():
            raw.execute(sql, tuple(args))
        self._take(raw, sql)
        return self

    def executemany(
        self, query: str, param_list: Iterable[Sequence[Any] | Mapping[str, Any]]
    ) -> Cursor:
        self._check_open()
        rows = [bind(query, params) for params in param_list]
        if rows:
            self.connection._begin_if_manual(rows[0][0])
        total = 0
        raw = None
        # Rows whose wide integers were inlined have distinct SQL, so group by SQL.
        groups: dict[str, list[tuple[Any, ...]]] = {}
        for sql, args in rows:
            groups.setdefault(sql, []).append(tuple(args))
        for sql, arg_rows in groups.items():
            raw = self.connection._raw_cursor()
            with engine_errors():
                raw.executemany(sql, arg_rows)
            total += max(raw.rowcount, 0)
        self.description = None
        self._buffer, self._exhausted = [], True
        self.rowcount = total
        self.lastrowid = raw.lastrowid if raw is not None else None
        return self

    def executescript(self, script: str) -> Cursor:
        self._check_open()
        with engine_errors():
            self.connection._raw_cursor().executescript(script)
        return self

    def _take_nothing(self) -> None:
        self.description = None
        self._buffer, self._raw, self._exhausted = [], None, True
        self.rowcount, self.lastrowid = -1, None

    def _take(self, raw: Any, sql: str) -> None:
        description = raw.description or None
        self.description = description
        self._buffer = []
        self._raw = raw if description else None
        self._exhausted = not description
        self.lastrowid = raw.lastrowid
        if description is None and sql.lstrip()[:7].lower().startswith(_DML):
            self.rowcount = raw.rowcount
        else:
            self.rowcount = -1

    # -- fetching --------------------------------------------------------
    def _fill(self, wanted: int | None) -> None:
        while not self._exhausted and (wanted is None or len(self._buffer) < wanted):
            with engine_errors():
                chunk = self._raw.fetchmany(_FETCH_CHUNK)
            if len(chunk) < _FETCH_CHUNK:
                self._exhausted = True
                self._raw = None
            self._buffer.extend(chunk)

    def fetchone(self) -> tuple[Any, ...] | None:
        self._check_open()
        self._fill(1)
        return self._buffer.pop(0) if self._buffer else None

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        self._check_open()
        size = self.arraysize if size is None else size
        self._fill(size)
        chunk, self._buffer = self._buffer[:size], self._buffer[size:]
        return chunk

    def fetchall(self) -> list[tuple[Any, ...]]:
        self._check_open()
        self._fill(None)
        rows, self._buffer = self._buffer, []
        return rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while (row := self.fetchone()) is not None:
            yield row

    # -- lifecycle -------------------------------------------------------
    def setinputsizes(self, sizes: Any) -> None:
        pass

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        pass

    def close(self) -> None:
        self._closed = True
        self._raw = None
        self._buffer = []

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ProgrammingError("cannot operate on a closed cursor")
        self.connection._check_open()


class Connection:
    """A libsql connection that behaves like a sqlite3 one in autocommit mode.

    libsql only accepts ``isolation_level`` at ``connect()``, so the
    connection is always opened in autocommit mode (``None``) and sqlite3's
    legacy "implicit BEGIN before DML" is emulated when Django asks for
    ``isolation_level = ""`` (``transaction.set_autocommit(False)``).
    """

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._closed = False
        self._manual = False
        # Remote mode only (see DatabaseWrapper.disable_constraint_checking).
        self.foreign_keys_off_at_begin = False

    @classmethod
    def open(
        cls, *, database: str, timeout: float = 5.0, auth_token: str = "", **extra: Any
    ) -> Connection:
        kwargs: dict[str, Any] = {"isolation_level": None, "timeout": timeout}
        if auth_token:
            kwargs["auth_token"] = auth_token
        kwargs.update(extra)
        with engine_errors():
            raw = libsql.connect(database, **kwargs)
        return cls(raw)

    @property
    def raw(self) -> Any:
        """The underlying ``libsql.Connection`` (tests assert where it comes from)."""
        return self._raw

    def _check_open(self) -> None:
        if self._closed:
            # Touching a closed libsql connection panics inside Rust.
            raise InterfaceError("the database connection is closed")

    def _raw_cursor(self) -> Any:
        self._check_open()
        with engine_errors():
            return self._raw.cursor()

    def _begin_if_manual(self, sql: str) -> None:
        if (
            self._manual
            and not self.in_transaction
            and sql.lstrip()[:7].lower().startswith(_DML)
            and not self._begin_without_foreign_keys("BEGIN")
        ):
            with engine_errors():
                self._raw.execute("BEGIN")

    def _begin_without_foreign_keys(self, sql: str) -> bool:
        """Send ``sql`` (a BEGIN) preceded by ``PRAGMA foreign_keys = OFF`` when
        that was asked for; return whether it was sent.

        Over HTTP the libsql client runs each autocommit statement on a fresh
        server stream (a server connection) and closes it, so a pragma sent
        alone is gone by the next statement. Sent in one batch with BEGIN it
        lands on the stream that the transaction then keeps open.
        """
        if not (self.foreign_keys_off_at_begin and _BEGIN.match(sql)):
            return False
        with engine_errors():
            self._raw.executescript(f"PRAGMA foreign_keys = OFF; {sql}")
        return True

    def cursor(self, factory: Any = None) -> Cursor:
        self._check_open()
        return Cursor(self)

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Cursor:
        return self.cursor().execute(sql, params)

    def executemany(self, sql: str, param_list: Iterable[Any]) -> Cursor:
        return self.cursor().executemany(sql, param_list)

    def commit(self) -> None:
        self._check_open()
        if self.in_transaction:
            with engine_errors():
                self._raw.commit()

    def rollback(self) -> None:
        self._check_open()
        if self.in_transaction:
            with engine_errors():
                self._raw.rollback()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with engine_errors():
                self._raw.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def in_transaction(self) -> bool:
        self._check_open()
        return bool(self._raw.in_transaction)

    @property
    def isolation_level(self) -> str | None:
        return "" if self._manual else None

    @isolation_level.setter
    def isolation_level(self, level: str | None) -> None:
        self._check_open()
        self._manual = level is not None


def connect(**kwargs: Any) -> Connection:
    """Open a libsql connection wrapped for Django (the DB-API ``connect``)."""
    return Connection.open(**kwargs)
