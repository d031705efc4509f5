"""A DB-API 2.0 face for the `libsql` package.

libsql 0.1.11 raises a plain ``ValueError`` for every engine error, binds
integers outside 32 bits as REAL, rejects several parameter types and panics
when a closed connection is used. Django (and our code) needs the standard
exception classes: errors.py defines them and translates engine errors by
their message; this module is the DB-API surface Django sees. Django's
``DatabaseErrorWrapper`` maps these classes onto ``django.db.utils`` ones
through ``DatabaseWrapper.Database``.
"""

from __future__ import annotations

import datetime

import libsql

from .connection import connect
from .errors import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)

__all__ = [
    "Binary",
    "DataError",
    "DatabaseError",
    "Date",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Time",
    "Timestamp",
    "Warning",
    "apilevel",
    "connect",
    "paramstyle",
    "sqlite_version_info",
    "threadsafety",
]

paramstyle = "format"
threadsafety = 1
apilevel = "2.0"
# The engine's own report (`select sqlite_version()`) is what matters for
# Django's feature checks; libsql.sqlite_version_info lags behind it.
sqlite_version_info: tuple[int, int, int] = tuple(libsql.sqlite_version_info)  # type: ignore[assignment]


# DB-API type constructors (Django's BinaryField calls Database.Binary).
Binary = memoryview
Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime
