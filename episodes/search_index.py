"""The full-text index (SQLite FTS5) over descriptions, steps and reflections.

It lives in a virtual table created by migration 0002 (namespace column: 0007);
rows are rewritten by the services when an episode starts and when it completes.
Every query is answered inside one namespace by the index (``ns : nsN AND
body : (...)``); the ``ns`` column weighs nothing in bm25.
"""

from __future__ import annotations

import math
import re
import time
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


def namespace_token(namespace_id: int) -> str:
    """The ``ns`` column's one token for a namespace."""
    return f"ns{int(namespace_id)}"


def index_episode(episode: Episode, steps: Sequence[ExecutionStep] = ()) -> None:
    rowid = fts_rowid(episode.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE rowid = %s", [rowid])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {TABLE} (rowid, episode_id, ns, body) VALUES (%s, %s, %s, %s)",  # noqa: S608
            [
                rowid,
                episode.pk.hex,
                namespace_token(episode.namespace_id),
                episode_document(episode, steps),
            ],
        )


def in_namespace(query: str, namespace_id: int) -> str:
    """``query`` (words OR-ed) matched in the body of one namespace's documents only."""
    return f"ns : {namespace_token(namespace_id)} AND body : ({query})"


# Words found in most documents: bm25 gives a term in more than half of them no
# weight (FTS5 clamps its IDF to 1e-6), yet OR-ing it in makes FTS5 score nearly
# every document (~90 ms instead of ~25 ms at 100,000 episodes).
STOPWORDS = frozenset(
    "a an and are as at be but by for from has have in into is it its of on or that the "  # noqa: SIM905
    "this to was were will with".split()
)


def query_words(text: str, *, drop_stopwords: bool = False) -> list[str]:
    """The distinct lowercased words of free text, in order (at most 32)."""
    words = [w.lower() for w in _WORD.findall(text) if len(w) > 1]
    if drop_stopwords:
        words = [w for w in words if w not in STOPWORDS]
    return list(dict.fromkeys(words[:32]))


def match_query(text: str, *, drop_stopwords: bool = False) -> str | None:
    """An FTS5 query OR-ing the words of free text (quoted: no syntax injection)."""
    return _any_of(query_words(text, drop_stopwords=drop_stopwords))


def _any_of(words: Sequence[str]) -> str | None:
    return " OR ".join(f'"{w}"' for w in words) if words else None


# --- ranking: bm25 without the words that cannot change it ------------------------------
#
# FTS5's bm25 (fts5_aux.c) weighs a word by idf = log((N - n + 0.5) / (n + 0.5)) over N
# documents of which n contain it, clamped to 1e-6 when that is not positive, i.e. when the
# word is in at least half of the documents. Such a word adds at most 1e-6 x (k1 + 1) to a
# score, yet OR-ing it into the query makes FTS5 score (one docsize lookup each) every
# document that contains it: at 100,000 episodes "fails" and "after" cost 35 ms of a
# 45 ms query. So ranking queries leave those words out; the order of the results
# changes only between hits whose scores differ by less than 1e-5. Pruning more (MaxScore
# with the bound idf x (k1 + 1)) was exact but slower on the demo corpus (746 vs 568 ms
# over 50 queries): the bound is loose and the extra statements cost more than they skip.
ZERO_WEIGHT = 1e-6
# Document frequencies are counted (a MATCH per word, ~0.04 µs a hit) and kept per process
# while the index holds about as many documents: at most DF_SECONDS, and only for indexes of
# CACHE_MIN_DOCS or more (below that counting is cheap, and a fresh test database must
# never see another one's counts).
DF_SECONDS = 300.0
DF_DRIFT = 0.01
CACHE_MIN_DOCS = 10_000
_CACHE_MAX_WORDS = 50_000
# (namespace, word) -> (hits, documents then, when): statistics are per namespace, so
# what one namespace writes never changes which words another's queries keep.
_df_cache: dict[tuple[int, str], tuple[int, int, float]] = {}
_count_cache: dict[int, tuple[int, float]] = {}  # namespace -> (documents, when)
COUNT_SECONDS = 30.0


def document_count(*, namespace_id: int) -> int:
    """Documents of one namespace in the index (counted from its ``ns`` token's postings;
    kept COUNT_SECONDS per process once the namespace is large)."""
    now = time.monotonic()
    cached = _count_cache.get(namespace_id)
    if cached is not None and now - cached[1] < COUNT_SECONDS:
        return cached[0]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {TABLE} WHERE {TABLE} MATCH %s",  # noqa: S608 - our table
            [f"ns : {namespace_token(namespace_id)}"],
        )
        documents = int(cursor.fetchone()[0])
    if documents >= CACHE_MIN_DOCS:
        _count_cache[namespace_id] = (documents, now)
    return documents


def _fresh(entry: tuple[int, int, float] | None, documents: int, now: float) -> bool:
    if entry is None or documents < CACHE_MIN_DOCS:
        return False
    _, then, when = entry
    return now - when < DF_SECONDS and abs(documents - then) <= DF_DRIFT * documents


def document_frequencies(
    words: Sequence[str], documents: int, *, namespace_id: int
) -> dict[str, int]:
    """{word: how many of the namespace's documents contain it}, through the index's
    own tokenizer."""
    now = time.monotonic()
    counts = {
        w: _df_cache[(namespace_id, w)][0]
        for w in words
        if _fresh(_df_cache.get((namespace_id, w)), documents, now)
    }
    missing = [w for w in words if w not in counts]
    if missing:
        one = f"(SELECT count(*) FROM {TABLE} WHERE {TABLE} MATCH %s)"  # noqa: S608
        with connection.cursor() as cursor:
            queries = [in_namespace(f'"{w}"', namespace_id) for w in missing]
            cursor.execute("SELECT " + ", ".join([one] * len(missing)), queries)
            row = cursor.fetchone()
        for word, hits in zip(missing, row, strict=True):
            counts[word] = int(hits)
            if documents >= CACHE_MIN_DOCS:
                if len(_df_cache) >= _CACHE_MAX_WORDS:
                    _df_cache.clear()
                _df_cache[(namespace_id, word)] = (int(hits), documents, now)
    return counts


def idf(hits: int, documents: int) -> float:
    """bm25's weight of a word found in ``hits`` of ``documents`` (as FTS5 computes it)."""
    value = math.log((documents - hits + 0.5) / (hits + 0.5))
    return value if value > 0 else ZERO_WEIGHT


def ranking_words(text: str, *, namespace_id: int) -> list[str]:
    """The query's words that can move a bm25 score: known to the namespace's documents and
    in fewer than half of them. A query made only of common words keeps them all (its hits
    are still the documents that contain them)."""
    words = query_words(text, drop_stopwords=True)
    if not words:
        return []
    documents = document_count(namespace_id=namespace_id)
    counts = document_frequencies(words, documents, namespace_id=namespace_id)
    found = [w for w in words if counts[w] > 0]
    weighty = [w for w in found if idf(counts[w], documents) > ZERO_WEIGHT]
    return weighty or found


def keyword_search(text: str, *, namespace_id: int, limit: int) -> list[tuple[str, float]]:
    """(episode id hex, bm25 relevance ≥ 0, higher is better), best first.

    Ranks by the words that weigh (ranking_words): the same order as bm25 over all the
    words but for ties within 1e-5; a query holding words found in half of the documents
    costs a quarter as much (45 -> 12 ms at 100,000 episodes).
    """
    query = _any_of(ranking_words(text, namespace_id=namespace_id))
    return _bm25_top(in_namespace(query, namespace_id), limit) if query else []


# Column weights: episode_id (unindexed), ns (a filter, never a relevance), body.
_BM25 = f"bm25({TABLE}, 0.0, 0.0, 1.0)"


def _bm25_top(query: str, limit: int) -> list[tuple[str, float]]:
    # Rank on rowids, then read the winners' episode ids: reading the id column of every
    # hit before the sort costs ~8 % more. rowid breaks ties, so the order is stable.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT f.episode_id, s.score FROM (SELECT rowid AS r, -{_BM25} AS score "  # noqa: S608
            f"FROM {TABLE} WHERE {TABLE} MATCH %s ORDER BY {_BM25}, rowid LIMIT %s) s "
            f"CROSS JOIN {TABLE} f ON f.rowid = s.r ORDER BY s.score DESC, s.r",
            [query, limit],
        )
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


def keyword_search_unpruned(text: str, *, namespace_id: int, limit: int) -> list[tuple[str, float]]:
    """bm25 over every word of the query but stopwords: the reference for keyword_search."""
    query = match_query(text, drop_stopwords=True)
    return _bm25_top(in_namespace(query, namespace_id), limit) if query else []
