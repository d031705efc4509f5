"""Rows and SQL for the bulk seeder (_bulk_seed.py): values exactly as the ORM writes them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

from django.db import connection, models, transaction
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

from episodes import search_index
from episodes.changes import COUNTER
from episodes.models import ChangeCounter, Episode, ExecutionStep, Heuristic, Pattern
from episodes.sanitize import redact_text, redact_value
from episodes.services.inputs import Redactions
from memoryadmin.db.backends.libsql.params import adapt


def _naive_utc(value: datetime | None) -> str | None:
    # As DatabaseOperations.adapt_datetimefield_value: naive UTC, str().
    return None if value is None else str(timezone.make_naive(value, UTC))


def _converter(f: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """The value the ORM would bind for field ``f`` (get_db_prep_save, then the backend's adapt)."""
    if isinstance(f, models.DateTimeField):
        return _naive_utc
    if isinstance(f, models.JSONField):
        assert f.encoder is None
        return json.dumps  # connection.ops.adapt_json_value with the default encoder
    if isinstance(f, models.UUIDField):
        return lambda v: None if v is None else v.hex
    if isinstance(f, models.ForeignKey):
        return lambda v: v.hex if isinstance(v, UUID) else v
    return lambda v: adapt(v, 0)


class Table:
    """An INSERT for one model with the values the ORM would write (checked by a test)."""

    def __init__(self, model: type[models.Model], *, with_pk: bool, upsert: bool = False) -> None:
        pk = model._meta.pk
        self.fields = [
            f
            for f in model._meta.concrete_fields
            if with_pk or not (f is pk and isinstance(f, AutoFieldMixin))
        ]
        self.attnames = [f.attname for f in self.fields]
        self.converters = [_converter(f) for f in self.fields]
        self.auto_now = [f.attname for f in self.fields if getattr(f, "auto_now", False)]
        self.auto_add = [f.attname for f in self.fields if getattr(f, "auto_now_add", False)]
        columns = ", ".join(f'"{f.column}"' for f in self.fields)
        marks = ", ".join("?" for _ in self.fields)
        self.sql = f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES ({marks})'  # noqa: S608
        if upsert:
            assert pk is not None
            sets = ", ".join(f'"{f.column}" = excluded."{f.column}"' for f in self.fields)
            self.sql += f' ON CONFLICT("{pk.column}") DO UPDATE SET {sets}'

    def row(self, obj: Any, now: datetime) -> tuple[Any, ...]:
        for name in self.auto_now:
            setattr(obj, name, now)
        for name in self.auto_add:
            if getattr(obj, name) is None:
                setattr(obj, name, now)
        return tuple(
            convert(getattr(obj, name))
            for name, convert in zip(self.attnames, self.converters, strict=True)
        )


@dataclass(slots=True)
class Step:
    """An execution step as the services build it (the learning code only reads attributes)."""

    episode_id: UUID
    step_number: int
    timestamp: datetime
    tool: str
    action: str
    parameters: dict[str, Any]
    result_kind: str
    result_text: str
    success: bool
    latency_ms: int
    tokens: int
    observation: str
    id: None = None


class MemoRedactions(Redactions):
    """Redactions with the results remembered: demo text repeats a small vocabulary.

    Cached values are shared between rows; nothing here mutates them.
    """

    _texts: ClassVar[dict[str, tuple[str, int]]] = {}
    _values: ClassVar[dict[str, tuple[Any, int]]] = {}

    def text(self, value: str) -> str:
        if (hit := self._texts.get(value)) is None:
            hit = self._texts[value] = redact_text(value)
        self.count += hit[1]
        return hit[0]

    def value(self, value: Any) -> Any:
        key = json.dumps(value, sort_keys=True, default=str)
        if (hit := self._values.get(key)) is None:
            hit = self._values[key] = redact_value(value)
        self.count += hit[1]
        return hit[0]


@dataclass
class Chunk:
    episodes: list[tuple[Any, ...]] = field(default_factory=list)
    steps: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    # rowid, episode id, namespace token, text
    fts: list[tuple[int, str, str, str]] = field(default_factory=list)
    pattern_evidence: list[tuple[int, str]] = field(default_factory=list)
    heuristic_evidence: list[tuple[int, str]] = field(default_factory=list)
    dirty_patterns: set[tuple[str, str]] = field(default_factory=set)
    dirty_heuristics: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Tables:
    episode: Table
    step: Table
    pattern: Table
    heuristic: Table

    @classmethod
    def build(cls) -> Tables:
        return cls(
            episode=Table(Episode, with_pk=True),
            step=Table(ExecutionStep, with_pk=False),
            pattern=Table(Pattern, with_pk=True, upsert=True),
            heuristic=Table(Heuristic, with_pk=True, upsert=True),
        )


def write_chunk(
    tables: Tables,
    chunk: Chunk,
    pattern_rows: list[tuple[Any, ...]],
    heuristic_rows: list[tuple[Any, ...]],
    seq: int,
) -> None:
    """Write one chunk in one transaction on the raw libsql connection, with the counter."""
    connection.ensure_connection()
    raw = connection.connection.raw  # type: ignore[attr-defined]
    # A large page cache: steps, tags and evidence index random UUIDs.
    raw.execute("PRAGMA cache_size = -262144")
    # Django's transaction (BEGIN IMMEDIATE, or a savepoint inside one); the raw
    # statements below run on the same connection, inside it.
    with transaction.atomic():
        raw.executemany(tables.episode.sql, chunk.episodes)
        raw.executemany(tables.step.sql, chunk.steps)
        raw.executemany(
            'INSERT INTO "episodes_episodetag" ("episode_id", "tag") VALUES (?, ?)', chunk.tags
        )
        # The rowid (search_index.fts_rowid) is wider than 32 bits, which libsql would bind
        # as REAL: it is sent as two halves and joined in SQL.
        raw.executemany(
            f"INSERT INTO {search_index.TABLE} (rowid, episode_id, ns, body) "  # noqa: S608
            "VALUES ((CAST(? AS INTEGER) << 32) | CAST(? AS INTEGER), ?, ?, ?)",
            [(r >> 32, r & 0xFFFFFFFF, e, ns, b) for r, e, ns, b in chunk.fts],
        )
        if pattern_rows:
            raw.executemany(tables.pattern.sql, pattern_rows)
        if heuristic_rows:
            raw.executemany(tables.heuristic.sql, heuristic_rows)
        for table, owner, rows in (
            (Pattern.evidence.through, "pattern_id", chunk.pattern_evidence),
            (Heuristic.evidence.through, "heuristic_id", chunk.heuristic_evidence),
        ):
            if rows:
                raw.executemany(
                    f'INSERT INTO "{table._meta.db_table}" ("{owner}", "episode_id") '  # noqa: S608
                    "VALUES (?, ?)",
                    rows,
                )
        raw.execute(
            f'INSERT INTO "{ChangeCounter._meta.db_table}" (name, value) VALUES (?, ?) '  # noqa: S608
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (COUNTER, seq),
        )
