"""similar_owners on the real libSQL database, with real MiniLM vectors."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from episodes.embeddings import search, semantic_episode_hits, similar_owners
from episodes.embeddings.local import LocalMiniLMProvider
from episodes.embeddings.store import embedding_upsert
from episodes.models import Embedding, Episode
from memoryadmin.exceptions import ApplicationError
from tests.factories import default_namespace_id

pytestmark = pytest.mark.django_db

TARGET = "The checkout page crashes when the shopping basket is empty"
QUERY = "Purchase screen throws an exception if the cart has no items"  # no word in common
UNRELATED = [
    "Write documentation for the logging configuration",
    "Speed up thumbnail generation for uploaded photos",
    "Add unit tests to the date parsing helper",
    "Migrate the user table to the new database schema",
    "Translate the onboarding emails into German",
]


@pytest.fixture(params=["memory", "exact"])
def search_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EMBEDDINGS_SEARCH", request.param)
    return str(request.param)


def embed_episodes(minilm: LocalMiniLMProvider, texts: list[str]) -> list[Episode]:
    ns = default_namespace_id()
    episodes = [
        Episode.objects.create(namespace_id=ns, task_type="debugging", task_description=text)
        for text in texts
    ]
    for episode, vector in zip(episodes, minilm.embed(texts), strict=True):
        embedding_upsert(
            namespace_id=episode.namespace_id,
            owner_kind="episode",
            owner_id=episode.pk,
            vector=vector,
            model_id=minilm.model_id,
        )
    return episodes


def test_the_semantically_close_episode_ranks_first_without_shared_words(
    minilm: LocalMiniLMProvider, search_mode: str
) -> None:
    target, *_ = embed_episodes(minilm, [TARGET, *UNRELATED])
    (query,) = minilm.embed([QUERY])
    hits = similar_owners(owner_kind="episode", vector=query, model_id=minilm.model_id, limit=3)
    assert hits[0][0] == target.pk.hex
    assert len(hits) == 3
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > 0.5 and scores[1] < 0.2
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_soft_deleted_episodes_are_left_out(minilm: LocalMiniLMProvider, search_mode: str) -> None:
    target, *_ = embed_episodes(minilm, [TARGET, *UNRELATED])
    (query,) = minilm.embed([QUERY])
    Episode.objects.filter(pk=target.pk).update(deleted_at=timezone.now())
    hits = similar_owners(owner_kind="episode", vector=query, model_id=minilm.model_id, limit=10)
    assert target.pk.hex not in dict(hits)
    assert len(hits) == len(UNRELATED)


def test_only_vectors_of_the_same_model_and_kind_are_compared(search_mode: str) -> None:
    ns = default_namespace_id()
    episode = Episode.objects.create(namespace_id=ns, task_type="debugging", task_description="a")
    embedding_upsert(
        namespace_id=episode.namespace_id,
        owner_kind="episode",
        owner_id=episode.pk,
        vector=[1, 0, 0],
        model_id="a",
    )
    embedding_upsert(
        namespace_id=ns, owner_kind="pattern", owner_id=7, vector=[1, 0, 0], model_id="a"
    )
    embedding_upsert(
        namespace_id=episode.namespace_id,
        owner_kind="episode",
        owner_id=episode.pk,
        vector=[0, 1],
        model_id="b",
    )
    assert similar_owners(owner_kind="pattern", vector=[1, 0, 0], model_id="a") == [("7", 1.0)]
    assert similar_owners(owner_kind="episode", vector=[0, 1], model_id="b") == [
        (episode.pk.hex, 1.0)
    ]
    assert similar_owners(owner_kind="episode", vector=[1, 1], model_id="none-yet") == []
    with pytest.raises(ApplicationError, match="expected 3, got 2"):
        similar_owners(owner_kind="episode", vector=[1, 0], model_id="a")


def test_the_in_memory_matrix_follows_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    ns = default_namespace_id()
    monkeypatch.setenv("EMBEDDINGS_SEARCH", "memory")
    first, second = (
        Episode.objects.create(namespace_id=ns, task_type="debugging", task_description=t)
        for t in "ab"
    )
    embedding_upsert(
        namespace_id=first.namespace_id,
        owner_kind="episode",
        owner_id=first.pk,
        vector=[1, 0],
        model_id="m",
    )
    embedding_upsert(
        namespace_id=second.namespace_id,
        owner_kind="episode",
        owner_id=second.pk,
        vector=[0, 1],
        model_id="m",
    )
    assert similar_owners(owner_kind="episode", vector=[1, 0.1], model_id="m", limit=1)[0][0] == (
        first.pk.hex
    )
    # An update (new marker) and a new row (new id) are both picked up incrementally.
    embedding_upsert(
        namespace_id=second.namespace_id,
        owner_kind="episode",
        owner_id=second.pk,
        vector=[1, 0.2],
        model_id="m",
    )
    third = Episode.objects.create(namespace_id=ns, task_type="debugging", task_description="c")
    embedding_upsert(
        namespace_id=third.namespace_id,
        owner_kind="episode",
        owner_id=third.pk,
        vector=[1, 0.1],
        model_id="m",
    )
    hits = similar_owners(owner_kind="episode", vector=[1, 0.1], model_id="m", limit=3)
    assert [owner for owner, _ in hits] == [third.pk.hex, second.pk.hex, first.pk.hex]
    assert hits[0][1] == pytest.approx(1.0, abs=1e-6)
    # A vanished row is noticed when it comes up as a candidate.
    Episode.objects.filter(pk=third.pk).delete()
    hits = similar_owners(owner_kind="episode", vector=[1, 0.1], model_id="m", limit=3)
    assert [owner for owner, _ in hits] == [second.pk.hex, first.pk.hex]
    # So is a deleted embedding row (the matrix reloads), and rows written after it.
    Embedding.objects.filter(owner_id=second.pk.hex).delete()
    fourth = Episode.objects.create(namespace_id=ns, task_type="debugging", task_description="d")
    embedding_upsert(
        namespace_id=fourth.namespace_id,
        owner_kind="episode",
        owner_id=fourth.pk,
        vector=[0, 1],
        model_id="m",
    )
    hits = similar_owners(owner_kind="episode", vector=[1, 0.1], model_id="m", limit=3)
    assert [owner for owner, _ in hits] == [first.pk.hex, fourth.pk.hex]


def test_past_the_memory_limit_the_sql_scan_answers(
    minilm: LocalMiniLMProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMBEDDINGS_SEARCH", "memory")
    monkeypatch.setenv("EMBEDDINGS_MEMORY_MB", "0.001")  # 1 KB: less than one 384-dim row
    target, *_ = embed_episodes(minilm, [TARGET, *UNRELATED])
    (query,) = minilm.embed([QUERY])
    hits = similar_owners(owner_kind="episode", vector=query, model_id=minilm.model_id, limit=2)
    assert hits[0][0] == target.pk.hex and len(hits) == 2
    assert search._indexes[("episode", minilm.model_id)].matrix is None


def test_semantic_hits_for_retrieval(minilm: LocalMiniLMProvider, use_provider) -> None:  # type: ignore[no-untyped-def]
    use_provider("none")
    assert semantic_episode_hits(QUERY, limit=5) is None
    use_provider("local")
    target, *_ = embed_episodes(minilm, [TARGET, *UNRELATED])
    hits = semantic_episode_hits(QUERY, limit=2)
    assert hits is not None and next(iter(hits)) == target.pk.hex
    assert semantic_episode_hits("   ", limit=2) is None
    assert uuid.UUID(next(iter(hits)))
