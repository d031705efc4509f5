"""Episode payloads for a batch of keys, built from raw rows in two queries.

The ORM path (model instances, then Django's per-value converters: a regex
date parse and ``make_aware`` per timestamp, a JSON decode per JSON field)
was three quarters of loading a full sync's payloads. Here the rows come
straight from the cursor and each value is converted once, cheaply; the
shape is still built by ``episodes.payloads`` from the same attribute names,
so cache and database readers keep getting one shape
(tests/sync/test_episode_rows.py compares the two paths value for value).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from functools import cache
from itertools import groupby
from typing import Any, cast

from django.db import connection

from episodes.models import Episode, ExecutionStep
from episodes.payloads import episode_payload
from memoryadmin.db.rows import plain_converters

EPISODE_COLUMNS = (
    *("id", "task_type", "task_description", "language", "framework", "domain"),
    *("complexity", "tags", "metadata", "started_at", "ended_at", "step_count", "outcome"),
    *("verdict", "reward", "reflection", "archived_at", "content_hash", "change_seq"),
    *("namespace", "agent_id", "user_id", "session_id"),
)
STEP_COLUMNS = (
    *("episode_id", "step_number", "timestamp", "tool", "action", "parameters"),
    *("result_kind", "result_text", "success", "latency_ms", "tokens", "observation"),
)
# ``pk`` is what episode_payload reads for the id (the row's first column fills it),
# ``namespace_id`` what it reads for the namespace column.
EpisodeRow = namedtuple(  # type: ignore[misc]
    "EpisodeRow", ("pk", *("namespace_id" if c == "namespace" else c for c in EPISODE_COLUMNS[1:]))
)
StepRow = namedtuple("StepRow", STEP_COLUMNS)  # type: ignore[misc]


def _uuid(value: str) -> str:
    """The 32 hex digits stored for a UUID, as ``str(uuid.UUID(value))`` prints them."""
    h = value.lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _select(model: Any, names: Sequence[str], where: str, n: int, order: str = "") -> str:
    meta = model._meta
    columns = ", ".join(f'"{meta.get_field(name).column}"' for name in names)
    marks = ", ".join(["%s"] * n)
    # Names come from our models' metadata, never from input.
    return f'SELECT {columns} FROM "{meta.db_table}" WHERE "{where}" IN ({marks}){order}'  # noqa: S608


@cache
def _converters() -> tuple[list[Callable[[Any], Any]], list[Callable[[Any], Any]]]:
    # The episode's id as str(UUID) prints it; a step's episode_id stays the stored hex.
    return plain_converters(Episode, EPISODE_COLUMNS, uuid=_uuid), plain_converters(
        ExecutionStep, STEP_COLUMNS
    )


def episode_payloads_from_rows(keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """{key: payload} for the episodes among ``keys`` (32 hex digits) that exist."""
    keys = list(keys)
    if not keys:
        return {}
    episode_convert, step_convert = _converters()
    step_fk = ExecutionStep._meta.get_field("episode").column
    with connection.cursor() as cursor:
        cursor.execute(_select(Episode, EPISODE_COLUMNS, "id", len(keys)), keys)
        episodes = cursor.fetchall()
        order = f' ORDER BY "{step_fk}", "step_number"'
        cursor.execute(_select(ExecutionStep, STEP_COLUMNS, step_fk, len(keys), order), keys)
        steps: list[Any] = [
            StepRow(*(f(v) for f, v in zip(step_convert, row, strict=True))) for row in cursor
        ]
    by_episode = {k: list(g) for k, g in groupby(steps, key=lambda s: s.episode_id)}
    out: dict[str, dict[str, Any]] = {}
    for row in episodes:
        key = row[0]
        values = EpisodeRow(*(f(v) for f, v in zip(episode_convert, row, strict=True)))
        episode = cast(Episode, values)
        out[key] = episode_payload(episode, cast(list[ExecutionStep], by_episode.get(key, [])))
    return out
