"""Keyword ranking without the words that weigh nothing, on a realistic corpus (real libSQL).

keyword_search leaves out the query words found in half of the documents or more (bm25
gives them an idf of 1e-6); these tests compare it with bm25 over every word.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from episodes import retrieval, search_index
from episodes.retrieval import context_retrieve
from tests.factories import default_namespace_id

pytestmark = pytest.mark.django_db

CORPUS = 2000
QUERIES = [
    "find why routing fails after the upgrade",
    "make the refunds suite faster",
    "clean up css config",
    "track down the etl memory leak",
    "fix the flaky auth test",
    "pytest fails with AssertionError after the django upgrade",
    "edit_file on the affected files then pytest",
]


@pytest.fixture
def corpus() -> int:
    call_command("seed_bulk", episodes=CORPUS, seed=3, stdout=None, stderr=None)
    return search_index.document_count(namespace_id=default_namespace_id())


def _assert_same_ranking(pruned: list[tuple[str, float]], full: list[tuple[str, float]]) -> None:
    """The same scores rank by rank, and the same documents but for ties at the cut-off
    (pruning moves a score by less than 1e-5)."""
    assert len(pruned) == len(full)
    assert [s for _, s in pruned] == pytest.approx([s for _, s in full], abs=1e-5)
    mine, theirs = dict(pruned), dict(full)
    for hit in mine.keys() & theirs.keys():
        assert mine[hit] == pytest.approx(theirs[hit], abs=1e-5)
    cut = full[-1][1]
    for hit in mine.keys() ^ theirs.keys():
        assert mine.get(hit, theirs.get(hit)) == pytest.approx(cut, abs=1e-5)


def test_pruned_search_ranks_like_bm25_over_every_word(corpus: int) -> None:
    ns = default_namespace_id()
    pruned_some = 0
    for text in QUERIES:
        full = search_index.keyword_search_unpruned(text, namespace_id=ns, limit=50)
        pruned = search_index.keyword_search(text, namespace_id=ns, limit=50)
        assert len(full) == 50, text
        _assert_same_ranking(pruned, full)
        words = search_index.query_words(text, drop_stopwords=True)
        pruned_some += search_index.ranking_words(text, namespace_id=ns) != words
    assert pruned_some >= 3  # the corpus has common words and the queries use them


def test_the_top_retrieved_episodes_are_the_same(corpus: int, monkeypatch, settings) -> None:
    ns = default_namespace_id()
    settings.EMBEDDINGS_PROVIDER = "none"
    context = {"task_type": "debugging", "domain": "frontend", "language": "typescript"}
    text = "find why routing fails after the upgrade"
    pruned = context_retrieve(namespace_id=ns, description=text, context=context, limit=10)
    monkeypatch.setattr(search_index, "keyword_search", search_index.keyword_search_unpruned)
    full = context_retrieve(namespace_id=ns, description=text, context=context, limit=10)
    assert [(s.item.pk, s.score, s.breakdown) for s in pruned.episodes] == [
        (s.item.pk, s.score, s.breakdown) for s in full.episodes
    ]
    assert len(pruned.episodes) == 10
    assert all(s.breakdown["keyword"] > 0 for s in pruned.episodes)


def test_a_query_of_common_words_only_still_finds_results(corpus: int) -> None:
    ns = default_namespace_id()
    documents = search_index.document_count(namespace_id=ns)
    counts = search_index.document_frequencies(
        ["fails", "after", "file"], documents, namespace_id=ns
    )
    assert all(2 * hits >= documents for hits in counts.values())  # all weigh nothing
    hits = search_index.keyword_search("fails after the file", namespace_id=ns, limit=20)
    assert len(hits) == 20
    _assert_same_ranking(
        hits,
        search_index.keyword_search_unpruned("fails after the file", namespace_id=ns, limit=20),
    )


def test_unknown_words_find_nothing(corpus: int) -> None:
    ns = default_namespace_id()
    assert search_index.ranking_words("zzzz qqqq", namespace_id=ns) == []
    assert search_index.keyword_search("zzzz qqqq", namespace_id=ns, limit=10) == []


def test_document_frequencies_are_kept_while_the_index_holds_as_many_documents(
    corpus: int, monkeypatch
) -> None:
    ns = default_namespace_id()
    monkeypatch.setattr(search_index, "CACHE_MIN_DOCS", 1)
    monkeypatch.setattr(search_index, "_df_cache", {})
    # Counts are kept from 1 document on here: none may outlive the test.
    monkeypatch.setattr(search_index, "_count_cache", {})
    documents = search_index.document_count(namespace_id=ns)
    first = search_index.document_frequencies(["css", "config"], documents, namespace_id=ns)
    with CaptureQueriesContext(connection) as kept:
        again = search_index.document_frequencies(["css", "config"], documents, namespace_id=ns)
    assert again == first and len(kept) == 0
    with CaptureQueriesContext(connection) as recounted:  # the index grew: recount
        search_index.document_frequencies(["css"], documents * 2, namespace_id=ns)
    assert len(recounted) == 1


def test_small_indexes_are_counted_afresh(corpus: int) -> None:
    # Below CACHE_MIN_DOCS nothing is kept: a test database never sees another one's counts.
    assert corpus < search_index.CACHE_MIN_DOCS
    ns = default_namespace_id()
    search_index.document_frequencies(["css"], corpus, namespace_id=ns)
    assert (ns, "css") not in search_index._df_cache


def test_context_candidates_walk_the_type_index_newest_first(corpus: int) -> None:
    from episodes.models import Episode

    context = {"task_type": "debugging", "domain": "web"}
    ns = default_namespace_id()
    found = retrieval._context_candidates(context, ns, {}, 50)
    live = Episode.objects.filter(
        namespace_id=ns,
        deleted_at__isnull=True,
        verdict__isnull=False,
        task_type="debugging",
        domain="web",
    )
    expected = sorted(live.values_list("started_at", "id"), reverse=True)[:50]
    assert len(found) == 50 and found == [pk.hex for _, pk in expected]
    with connection.cursor() as cursor:
        sql, params = live.order_by("-started_at").values_list("id").query.sql_with_params()
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "episode_type_recent" in plan
