"""Selectors reporting the health of the parts the product stands on."""

from __future__ import annotations

import time
from importlib.metadata import version
from typing import Any

from django.db import DatabaseError, connections


def database_health(*, alias: str = "default") -> dict[str, Any]:
    """Ping the database; never hangs (remote mode pre-flights with a deadline)."""
    conn = connections[alias]
    report: dict[str, Any] = {
        "engine": "libsql",
        "mode": "remote" if getattr(conn, "is_remote", False) else "local",
        "libsql_version": version("libsql"),
    }
    started = time.perf_counter()
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT sqlite_version()")
            row = cursor.fetchone()
        report.update(ok=True, sqlite_version=row[0] if row else None)
    except DatabaseError as exc:
        conn.close_if_unusable_or_obsolete()
        report.update(ok=False, error=str(exc))
    report["ping_ms"] = round((time.perf_counter() - started) * 1000, 3)
    return report
