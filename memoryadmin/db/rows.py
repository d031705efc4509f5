"""One model instance from one raw row, converted as the ORM converts it.

For the statements every request runs (the API key, the episode a write is
about): a queryset costs ~150 µs of Python to build and compile and
``Model.objects.raw`` ~70 µs to map its columns, against ~20 µs for the engine
to answer. The row is read in the model's concrete-field order and each value
goes through the same backend and field converters the compiler applies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.fields import Field

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any, Any, Any], Any]


@cache
def _layout(
    model: type[models.Model],
) -> tuple[str, tuple[str, ...], tuple[tuple[Any, tuple[Converter, ...]], ...]]:
    fields = model._meta.concrete_fields
    table = model._meta.db_table
    columns = ", ".join(
        f"{connection.ops.quote_name(table)}.{connection.ops.quote_name(f.column)}" for f in fields
    )
    converters = []
    for field in fields:
        column = field.get_col(table)
        # Field.get_db_converters exists (the compiler calls it) but is not in the stubs.
        field_converters = field.get_db_converters(connection)  # type: ignore[attr-defined]
        found = connection.ops.get_db_converters(column) + field_converters
        converters.append((column, tuple(found)))
    return columns, tuple(f.attname for f in fields), tuple(converters)


def select_columns(model: type[models.Model]) -> str:
    """The column list to SELECT for ``fetch_instance`` (every concrete field, in order)."""
    return _layout(model)[0]


def fetch_instance(model: type[M], sql: str, params: Sequence[Any]) -> M | None:
    """The first row of ``sql`` (which selects ``select_columns(model)``) as a model, or None."""
    _, names, converters = _layout(model)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for value, (column, steps) in zip(row, converters, strict=True):
        for convert in steps:  # None included, as the compiler does
            value = convert(value, column, connection)
        values.append(value)
    return model.from_db(connection.alias, names, values)


# --- plain values, for bulk reads -------------------------------------------------------
#
# Reading thousands of rows (a sync batch's payloads, retrieval's candidates), Django's
# per-value converters (a regex date parse and make_aware per timestamp) cost more than
# the query. These convert each stored value once, by the field's type, into plain values.


def stored_datetime(value: Any) -> datetime | None:
    """A stored timestamp (naive UTC text, as the backend writes it) as an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def stored_json(value: Any) -> Any:
    return None if value is None else json.loads(value)


def _as_stored(value: Any) -> Any:
    return value


def plain_converters(
    model: type[models.Model],
    names: Sequence[str],
    *,
    uuid: Callable[[str], Any] = _as_stored,
) -> list[Callable[[Any], Any]]:
    """One converter per column of ``names``, chosen from the model field's type;
    UUIDs stay the stored 32 hex digits unless ``uuid`` says otherwise."""
    by_type: dict[str, Callable[[Any], Any]] = {
        "DateTimeField": stored_datetime,
        "JSONField": stored_json,
        "BooleanField": bool,
        "UUIDField": uuid,
    }
    fields: list[Field] = [model._meta.get_field(name) for name in names]  # type: ignore[misc]
    return [by_type.get(field.get_internal_type(), _as_stored) for field in fields]
