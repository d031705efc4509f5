"""Embedding rows on the real libSQL database: F32 bytes the engine's vector functions read."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection

from episodes.embeddings.store import blob_to_vector, embedding_upsert, vector_to_blob
from episodes.models import Embedding
from memoryadmin.exceptions import ApplicationError
from tests.factories import default_namespace_id

pytestmark = pytest.mark.django_db


def test_round_trip_through_the_database_and_the_engine() -> None:
    ns = default_namespace_id()
    owner = uuid.uuid4()
    vector = [0.25, -1.5, 3.0, 0.0]
    row = embedding_upsert(
        namespace_id=ns, owner_kind="episode", owner_id=owner, vector=vector, model_id="m4"
    )
    stored = Embedding.objects.get(pk=row.pk)
    assert (stored.owner_id, stored.dimension, stored.model_id) == (owner.hex, 4, "m4")
    assert blob_to_vector(stored.vector) == vector
    assert bytes(stored.vector) == vector_to_blob(vector) and len(stored.vector) == 16
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT vector_extract(vector), vector_distance_cos(vector, vector32(%s))"
            " FROM episodes_embedding WHERE id = %s",
            ["[0.25, -1.5, 3.0, 0.0]", row.pk],
        )
        text, distance = cursor.fetchone()
    assert json.loads(text) == vector
    assert abs(distance) < 1e-6


def test_upsert_replaces_the_vector_and_takes_a_new_change_marker() -> None:
    ns = default_namespace_id()
    owner = uuid.uuid4()
    first = embedding_upsert(
        namespace_id=ns, owner_kind="episode", owner_id=owner, vector=[1, 0], model_id="m2"
    )
    second = embedding_upsert(
        namespace_id=ns, owner_kind="episode", owner_id=str(owner), vector=[0, 1], model_id="m2"
    )
    assert second.pk == first.pk and second.change_seq > first.change_seq
    assert Embedding.objects.filter(owner_id=owner.hex).count() == 1
    assert blob_to_vector(Embedding.objects.get(pk=first.pk).vector) == [0.0, 1.0]
    other = embedding_upsert(
        namespace_id=ns, owner_kind="episode", owner_id=owner, vector=[1, 2, 3], model_id="x"
    )
    assert other.pk != first.pk  # one row per (owner, model)


def test_a_vector_of_the_wrong_length_is_rejected_with_a_clear_error() -> None:
    ns = default_namespace_id()
    embedding_upsert(
        namespace_id=ns,
        owner_kind="episode",
        owner_id=uuid.uuid4(),
        vector=[1, 2, 3],
        model_id="m3",
    )
    with pytest.raises(ApplicationError) as caught:
        embedding_upsert(
            namespace_id=ns,
            owner_kind="episode",
            owner_id=uuid.uuid4(),
            vector=[1, 2],
            model_id="m3",
        )
    assert str(caught.value) == "embedding dimension mismatch for model 'm3': expected 3, got 2"
    assert caught.value.extra == {"field": "vector", "model_id": "m3", "expected": 3, "got": 2}
    with pytest.raises(ApplicationError, match="expected 384, got 3"):
        embedding_upsert(
            namespace_id=ns,
            owner_kind="episode",
            owner_id=uuid.uuid4(),
            vector=[1, 2, 3],
            model_id="new",
            dimension=384,
        )
    assert Embedding.objects.count() == 1


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        ([], "1 to 8192 numbers"),
        ([0.0, 0.0], "all zeros"),
        ([1.0, float("nan")], "NaN or infinity"),
        (["a", "b"], "list of numbers"),
        ("1,2", "list of numbers"),
    ],
)
def test_bad_vectors_are_rejected(vector: object, message: str) -> None:
    ns = default_namespace_id()
    with pytest.raises(ApplicationError, match=message):
        embedding_upsert(
            namespace_id=ns,
            owner_kind="episode",
            owner_id=uuid.uuid4(),
            vector=vector,  # type: ignore[arg-type]
            model_id="m",
        )


def test_bad_owners_are_rejected() -> None:
    ns = default_namespace_id()
    with pytest.raises(ApplicationError, match="owner_kind must be one of episode, pattern"):
        embedding_upsert(
            namespace_id=ns, owner_kind="step", owner_id="1", vector=[1.0], model_id="m"
        )
    with pytest.raises(ApplicationError, match="not a valid episode id"):
        embedding_upsert(
            namespace_id=ns, owner_kind="episode", owner_id="nope", vector=[1.0], model_id="m"
        )
    row = embedding_upsert(
        namespace_id=ns, owner_kind="pattern", owner_id=42, vector=[1.0], model_id="m"
    )
    assert row.owner_id == "42"
