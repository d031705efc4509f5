"""Change markers: one global, monotonically increasing sequence for sync."""

from __future__ import annotations

from django.db import connection

from episodes.models import ChangeCounter

COUNTER = "changes"


def next_change_seq() -> int:
    """Take the next marker inside the caller's transaction.

    One upsert statement, so two processes can never receive the same value:
    SQLite serialises writers and the value is read back with RETURNING.
    """
    return next_change_seqs(1)[0]


def next_change_seqs(count: int) -> list[int]:
    """Take ``count`` consecutive markers in one statement (as ``count`` calls would)."""
    table = ChangeCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, value) VALUES (%s, %s) "  # noqa: S608 - table name is ours
            "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value RETURNING value",
            [COUNTER, count],
        )
        row = cursor.fetchone()
    last = int(row[0])
    return list(range(last - count + 1, last + 1))


def current_change_seq() -> int:
    row = ChangeCounter.objects.filter(name=COUNTER).values_list("value", flat=True).first()
    return int(row or 0)
