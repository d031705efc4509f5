"""The full-text index (SQLite FTS5) over descriptions, steps and reflections.

It lives in a virtual table created by migration 0002; rows are rewritten
by the services when an episode starts and when it completes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from uuid import UUID

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


def fts_rowid(episode_id: UUID) -> int:
    """The document's rowid, derived from the episode id (its top 63 bits).

    episode_id is an UNINDEXED column: deleting by it scans every document
    (~30 ms at 100,000 episodes), while a rowid is the table's key.
    """
    return episode_id.int >> 65


def index_episode(episode: Episode, steps: Sequence[ExecutionStep] = ()) -> None:
    rowid = fts_rowid(episode.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE rowid = %s", [rowid])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {TABLE} (rowid, episode_id, body) VALUES (%s, %s, %s)",  # noqa: S608
            [rowid, episode.pk.hex, episode_document(episode, steps)],
        )


# Words found in most documents: bm25 gives a term in more than half of them no
# weight (FTS5 clamps its IDF to 1e-6), yet OR-ing it in makes FTS5 score nearly
# every document (~90 ms instead of ~25 ms at 100,000 episodes).
STOPWORDS = frozenset(
    "a an and are as at be but by for from has have in into is it its of on or that the "  # noqa: SIM905
    "this to was were will with".split()
)


def match_query(text: str, *, drop_stopwords: bool = False) -> str | None:
    """An FTS5 query OR-ing the words of free text (quoted: no syntax injection)."""
    words = [w.lower() for w in _WORD.findall(text) if len(w) > 1]
    if drop_stopwords:
        words = [w for w in words if w not in STOPWORDS]
    words = words[:32]
    if not words:
        return None
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words))


def keyword_search(text: str, *, limit: int) -> list[tuple[str, float]]:
    """(episode id hex, bm25 relevance ≥ 0, higher is better), best first; ranking
    queries leave stopwords out (a list filter keeps them: it matches, not ranks)."""
    query = match_query(text, drop_stopwords=True)
    if query is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT episode_id, -bm25({TABLE}) AS score FROM {TABLE} "  # noqa: S608
            f"WHERE {TABLE} MATCH %s ORDER BY bm25({TABLE}) LIMIT %s",
            [query, limit],
        )
        return [(row[0], float(row[1])) for row in cursor.fetchall()]
