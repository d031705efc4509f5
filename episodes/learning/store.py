"""Writing merged learning rows: one prepared UPDATE for the known ones, one INSERT for the new.

A completion counts itself into ~5-10 patterns and heuristics; saving them one
by one through the ORM was the largest part of completing an episode.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.db import models

from memoryadmin.db.rowwrite import update_columns

Row = TypeVar("Row", bound=models.Model)


def save_merged(rows: Sequence[Row], *, counters: Sequence[str]) -> None:
    """Persist ``rows``: those with a primary key get ``counters`` (and
    ``updated_at``) written, the others are inserted in one statement."""
    update_columns([row for row in rows if row.pk is not None], counters)
    new = [row for row in rows if row.pk is None]
    if new:
        # SQLite returns the new primary keys, which the evidence rows need.
        type(new[0])._default_manager.bulk_create(new)
