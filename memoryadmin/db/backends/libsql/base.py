"""Django database backend running on the `libsql` engine (embedded or remote).

It reuses Django's sqlite3 backend for SQL generation, introspection and
schema editing; only the driver underneath changes (see dbapi.py,
connection.py, operations.py for the gaps it closes).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper
from django.utils.asyncio import async_unsafe

from . import dbapi
from .connection import Connection, Cursor
from .features import DatabaseFeatures
from .operations import DatabaseOperations
from .remote import preflight

# Pragmas for a file served by several worker processes: WAL lets readers run
# beside one writer, busy_timeout makes a writer wait rather than fail.
LOCAL_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA legacy_alter_table = OFF",
)
# No pragmas for remote databases: over HTTP each autocommit statement runs on a
# fresh server connection, so a connection pragma would not outlive its own
# request (libSQL servers enforce foreign keys by default, being built with
# SQLITE_DEFAULT_FOREIGN_KEYS=1), and sqld refuses journal/synchronous pragmas.
REMOTE_PRAGMAS: tuple[str, ...] = ()
TRANSACTION_MODES = frozenset({"DEFERRED", "EXCLUSIVE", "IMMEDIATE"})


class DatabaseWrapper(SQLiteDatabaseWrapper):
    Database = dbapi  # type: ignore[assignment]
    display_name = "libSQL"
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations

    operators = {
        key: value for key, value in SQLiteDatabaseWrapper.operators.items() if key != "iregex"
    }

    def get_connection_params(self) -> dict[str, Any]:
        options = dict(self.settings_dict.get("OPTIONS") or {})
        name = self.settings_dict.get("NAME")
        if not name:
            raise ImproperlyConfigured(
                "DATABASES['default']['NAME'] is empty: set LIBSQL_DATABASE_PATH"
            )
        transaction_mode = options.pop("transaction_mode", None)
        if transaction_mode and transaction_mode.upper() not in TRANSACTION_MODES:
            raise ImproperlyConfigured(
                f"transaction_mode {transaction_mode!r} is not one of {sorted(TRANSACTION_MODES)}"
            )
        self.transaction_mode = transaction_mode.upper() if transaction_mode else None
        self.init_commands = [
            c for c in str(options.pop("init_command", "")).split(";") if c.strip()
        ]
        self.remote_deadline = float(options.pop("remote_deadline", 3.0))
        busy_ms = int(options.pop("busy_timeout_ms", 5000))
        self.busy_timeout_ms = busy_ms
        params: dict[str, Any] = {"database": str(name), "timeout": busy_ms / 1000}
        if token := options.pop("auth_token", ""):
            params["auth_token"] = token
        return params

    @property
    def is_remote(self) -> bool:
        name = str(self.settings_dict.get("NAME") or "")
        return "://" in name

    def get_database_version(self) -> tuple[int, ...]:
        return self.Database.sqlite_version_info

    @async_unsafe
    def get_new_connection(self, conn_params: dict[str, Any]) -> Connection:
        if self.is_remote:
            # libsql hangs (holding the GIL) on a server that never answers:
            # prove the endpoint answers within a deadline before handing over.
            preflight(conn_params["database"], deadline=self.remote_deadline)
        conn = Connection.open(**conn_params)
        pragmas = (
            REMOTE_PRAGMAS
            if self.is_remote
            else (
                *LOCAL_PRAGMAS,
                f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}",
            )
        )
        for statement in (*pragmas, *self.init_commands):
            conn.execute(statement.strip())
        return conn

    def disable_constraint_checking(self) -> bool:
        if not self.is_remote:
            return super().disable_constraint_checking()
        # A remote "PRAGMA foreign_keys = OFF" would only last for its own
        # request (see Connection._begin_without_foreign_keys), so it is sent
        # with the next BEGIN instead: the schema editor's atomic block runs
        # with foreign keys off, as on a local file. A non-atomic schema
        # editor's statements still run with them on.
        self.ensure_connection()
        if self.connection.in_transaction:
            return False  # as in SQLite: not inside a transaction
        self.connection.foreign_keys_off_at_begin = True
        return True

    def enable_constraint_checking(self) -> None:
        if not self.is_remote:
            return super().enable_constraint_checking()
        if self.connection is not None and not self.connection.closed:
            # The stream that had them off closed with its transaction.
            self.connection.foreign_keys_off_at_begin = False

    def create_cursor(self, name: str | None = None) -> Cursor:
        return self.connection.cursor()

    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        try:
            self.connection.execute("SELECT 1")
        except dbapi.Error:
            return False
        return True
