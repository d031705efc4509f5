"""Prepared row writes for the hot paths, without the ORM's per-call query building.

Logging a batch of steps or completing an episode writes a handful of rows in
one transaction; Django's ``bulk_create``/``bulk_update`` spend far more time
building SQL than the engine spends writing (``bulk_update`` writes one CASE
expression per column). These build one statement per model and run it for
every row (libsql's ``executemany``), converting values exactly as the ORM
does (``pre_save`` for defaults/auto_now, ``get_db_prep_save`` for JSON,
datetimes, booleans).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection, models
from django.db.models.fields import Field
from django.utils import timezone

# Columns whose Python value is already what the backend binds (ints, text,
# floats, booleans): Django's generic conversion costs ~10 µs a value for nothing.
_AS_IS = (models.CharField, models.TextField, models.IntegerField, models.FloatField)


def _db_value(field: Field, value: Any) -> Any:
    if type(value) in (int, str, float) and isinstance(field, _AS_IS):
        return value
    return field.get_db_prep_save(value, connection)


@cache
def _insert_statement(model: type[models.Model]) -> tuple[str, tuple[Field, ...]]:
    fields = tuple(f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField))
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join("%s" for _ in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})", fields  # noqa: S608


def insert_rows(rows: Sequence[models.Model]) -> None:
    """Insert new rows of one model whose primary keys are not needed afterwards
    (auto-increment keys stay unset on the instances)."""
    if not rows:
        return
    sql, fields = _insert_statement(type(rows[0]))
    params = [[_db_value(f, f.pre_save(row, True)) for f in fields] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def update_columns(rows: Sequence[models.Model], names: Sequence[str]) -> None:
    """Write ``names`` (and ``updated_at``, the model's auto_now) of existing rows."""
    if not rows:
        return
    meta = type(rows[0])._meta
    fields: list[Field] = [meta.get_field(name) for name in (*names, "updated_at")]  # type: ignore[misc]
    now = timezone.now()
    for row in rows:
        row.updated_at = now  # type: ignore[attr-defined]
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    table = connection.ops.quote_name(meta.db_table)
    pk_column = connection.ops.quote_name(meta.pk.column)  # type: ignore[union-attr]
    sql = f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608
    params: list[list[Any]] = [
        [_db_value(f, getattr(row, f.attname)) for f in fields] + [row.pk] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
