"""Embedding rows: vectors as raw little-endian float32 bytes (libSQL's F32_BLOB layout).

The engine's ``vector_distance_cos`` reads these bytes directly (no
``vector32()`` conversion), so the exact search runs inside the database.
A column without a vector index accepts any length, so the dimension is
checked here: one model id, one dimension.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Sequence
from uuid import UUID

from django.db import transaction

from episodes.changes import next_change_seq
from episodes.models import Embedding
from episodes.models.embedding import OwnerKind
from memoryadmin.exceptions import ApplicationError

MAX_DIMENSION = 8192  # larger than any text embedding model in use; stops garbage early


def vector_to_blob(vector: Sequence[float]) -> bytes:
    packed = array("f", vector)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def blob_to_vector(blob: bytes | memoryview) -> list[float]:
    packed = array("f")
    packed.frombytes(bytes(blob))
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tolist()


def owner_key(owner_kind: str, owner_id: str | UUID | int) -> str:
    """The stored owner id: an episode's UUID as 32 hex digits, a pattern's pk as digits."""
    if owner_kind not in OwnerKind.values:
        raise ApplicationError(
            f"owner_kind must be one of {', '.join(OwnerKind.values)}",
            extra={"field": "owner_kind", "value": owner_kind},
        )
    try:
        if owner_kind == OwnerKind.EPISODE:
            return (owner_id if isinstance(owner_id, UUID) else UUID(str(owner_id))).hex
        return str(int(owner_id))
    except (TypeError, ValueError):
        raise ApplicationError(
            f"{owner_id!r} is not a valid {owner_kind} id", extra={"field": "owner_id"}
        ) from None


def model_dimension(model_id: str) -> int | None:
    """The dimension already stored for a model id, or None when it has no rows yet."""
    return Embedding.objects.filter(model_id=model_id).values_list("dimension", flat=True).first()


def check_vector(
    vector: Sequence[float], *, model_id: str, dimension: int | None = None
) -> list[float]:
    """A clean list of floats, or an ApplicationError saying what is wrong with it."""
    if isinstance(vector, str | bytes) or not hasattr(vector, "__len__"):
        raise ApplicationError("vector must be a list of numbers", extra={"field": "vector"})
    if not 0 < len(vector) <= MAX_DIMENSION:
        raise ApplicationError(
            f"vector must have 1 to {MAX_DIMENSION} numbers, got {len(vector)}",
            extra={"field": "vector", "dimension": len(vector)},
        )
    try:
        values = [float(x) for x in vector]
    except (TypeError, ValueError):
        raise ApplicationError(
            "vector must be a list of numbers", extra={"field": "vector"}
        ) from None
    if not all(math.isfinite(x) for x in values):
        raise ApplicationError("vector contains NaN or infinity", extra={"field": "vector"})
    if not any(values):
        raise ApplicationError("vector must not be all zeros", extra={"field": "vector"})
    # Both must hold: the provider's own dimension and the one stored for the model id.
    for expected in (dimension, model_dimension(model_id)):
        if expected is not None and len(values) != expected:
            raise ApplicationError(
                f"embedding dimension mismatch for model {model_id!r}: "
                f"expected {expected}, got {len(values)}",
                extra={
                    "field": "vector",
                    "model_id": model_id,
                    "expected": expected,
                    "got": len(values),
                },
            )
    return values


@transaction.atomic
def embedding_upsert(
    *,
    namespace_id: int,
    owner_kind: str,
    owner_id: str | UUID | int,
    vector: Sequence[float],
    model_id: str,
    dimension: int | None = None,
) -> Embedding:
    """Store (or replace) the vector of one owner for one model.

    ``dimension`` is the provider's dimension when the caller knows it;
    otherwise the vector must match the rows already stored for ``model_id``.
    The row takes a change marker so the sync engine ships it.
    """
    if not model_id or len(model_id) > Embedding._meta.get_field("model_id").max_length:  # type: ignore[operator]
        raise ApplicationError("model_id must be 1 to 120 characters", extra={"field": "model_id"})
    key = owner_key(owner_kind, owner_id)
    values = check_vector(vector, model_id=model_id, dimension=dimension)
    embedding, _ = Embedding.objects.update_or_create(
        owner_kind=owner_kind,
        owner_id=key,
        model_id=model_id,
        defaults={
            "namespace_id": namespace_id,
            "dimension": len(values),
            "vector": vector_to_blob(values),
            "change_seq": next_change_seq(),
        },
    )
    return embedding


def embedding_vector(embedding: Embedding) -> list[float]:
    return blob_to_vector(embedding.vector)
