"""The full-text index (SQLite FTS5) over descriptions, steps and reflections.

It lives in a virtual table created by migration 0002; rows are rewritten
by the services when an episode starts and when it completes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import connection

from episodes.models import Episode, ExecutionStep

TABLE = "episodes_fts"
# The indexed text is capped: the first part of an episode says what it was about.
TEXT_MAX = 32_000
_WORD = re.compile(r"[\w]+", re.UNICODE)


def episode_document(episode: Episode, steps: Sequence[ExecutionStep] = ()) -> str:
    parts = [
        episode.task_description,
        episode.task_type.replace("_", " "),
        episode.language,
        episode.framework,
        episode.domain,
        " ".join(episode.tags),
    ]
    for step in steps:
        parts.extend((step.tool, step.action, step.observation[:500]))
    if episode.reflection:
        for key in ("successes", "improvements", "insights"):
            parts.extend(str(item) for item in episode.reflection.get(key, []))
    if episode.outcome:
        parts.extend(str(episode.outcome.get(k, "")) for k in ("verdict", "reason"))
    return " ".join(p for p in parts if p)[:TEXT_MAX]


def index_episode(episode: Episode, steps: Sequence[ExecutionStep] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE episode_id = %s", [episode.pk.hex])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {TABLE} (episode_id, body) VALUES (%s, %s)",  # noqa: S608
            [episode.pk.hex, episode_document(episode, steps)],
        )


def match_query(text: str) -> str | None:
    """An FTS5 query OR-ing the words of free text (quoted: no syntax injection)."""
    words = [w.lower() for w in _WORD.findall(text) if len(w) > 1][:32]
    if not words:
        return None
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words))


def keyword_search(text: str, *, limit: int) -> list[tuple[str, float]]:
    """(episode id hex, bm25 relevance ≥ 0, higher is better), best first."""
    query = match_query(text)
    if query is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT episode_id, -bm25({TABLE}) AS score FROM {TABLE} "  # noqa: S608
            f"WHERE {TABLE} MATCH %s ORDER BY bm25({TABLE}) LIMIT %s",
            [query, limit],
        )
        return [(row[0], float(row[1])) for row in cursor.fetchall()]
