"""Nearest owners by cosine similarity: an in-memory matrix checked against the database.

Measured with real MiniLM vectors (bench/vector_search.py, 2 cores):
- exact ``ORDER BY vector_distance_cos`` scan: ~1 µs a row while libsql holds
  the GIL: 10-17 ms at 10k rows, 102 ms at 100k (219 ms through the ORM with
  the soft-delete join);
- ``libsql_vector_idx``: 2.6-12 ms a query and recall ~1.0, but 41x the file
  size by default (8.4 GB and 477 s to build at 100k) or 9x compressed
  (1.8 GB, 226 s), slower inserts, and a fixed ``F32_BLOB(n)`` column: one
  dimension for every model;
- a numpy matrix: 0.1 ms at 10k, 3.6 ms at 100k (154 MB of RAM per process).

So each process keeps one float32 matrix per (owner kind, model id), kept
fresh by change markers, and the database stays the truth: the candidates'
distances are recomputed by ``vector_distance_cos`` on the stored F32 bytes,
missing or changed rows force a reload, and soft-deleted episodes are
dropped (6.8 ms end to end at 10k and 100k). Without numpy, or past
EMBEDDINGS_MEMORY_MB (default 512) per process, the exact scan runs.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

from django.db import connection

from episodes.embeddings.store import check_vector, vector_to_blob
from episodes.models import Embedding, Episode
from episodes.models.embedding import OwnerKind
from memoryadmin.exceptions import ApplicationError

logger = logging.getLogger(__name__)

RELOAD_SECONDS = 3600.0  # backstop for rows rewritten in place without a fresh change marker
MAX_CANDIDATES = 1000  # past this many (mostly soft-deleted) candidates the SQL scan is simpler
TOLERANCE = 1e-3  # float32 cosine from numpy vs the engine

EMB = Embedding._meta.db_table
EPISODE = Episode._meta.db_table


def search_mode() -> str:
    """EMBEDDINGS_SEARCH = memory | exact; default memory when numpy is installed."""
    mode = os.environ.get("EMBEDDINGS_SEARCH", "").strip().lower()
    if mode in ("memory", "exact"):
        return mode
    return "memory" if importlib.util.find_spec("numpy") is not None else "exact"


def memory_limit_bytes() -> int:
    return int(float(os.environ.get("EMBEDDINGS_MEMORY_MB", "") or 512) * 2**20)


def _rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _similarity(distance: float) -> float:
    return round(min(max(1.0 - float(distance), 0.0), 1.0), 6)


def _exact(
    owner_kind: str, blob: bytes, dimension: int, model_id: str, limit: int
) -> list[tuple[str, float]]:
    join = ""
    if owner_kind == OwnerKind.EPISODE:
        join = f" JOIN {EPISODE} ep ON ep.id = emb.owner_id AND ep.deleted_at IS NULL"
    sql = (
        f"SELECT emb.owner_id, vector_distance_cos(emb.vector, %s) AS distance FROM {EMB} emb"  # noqa: S608 - our table names
        f"{join} WHERE emb.owner_kind = %s AND emb.model_id = %s AND emb.dimension = %s"
        " ORDER BY distance, emb.owner_id LIMIT %s"
    )
    rows = _rows(sql, [blob, owner_kind, model_id, dimension, limit])
    return [(owner_id, _similarity(distance)) for owner_id, distance in rows]


def _checked(
    owner_kind: str, blob: bytes, model_id: str, owner_ids: list[str]
) -> dict[str, tuple[float, bool]]:
    """{owner id: (distance from the database, still live)} for the candidates that exist."""
    live, join = "1", ""
    if owner_kind == OwnerKind.EPISODE:
        live = "ep.id IS NOT NULL AND ep.deleted_at IS NULL"
        join = f" LEFT JOIN {EPISODE} ep ON ep.id = emb.owner_id"
    marks = ", ".join(["%s"] * len(owner_ids))
    sql = (
        f"SELECT emb.owner_id, vector_distance_cos(emb.vector, %s), {live} FROM {EMB} emb{join}"  # noqa: S608 - our table names
        f" WHERE emb.owner_kind = %s AND emb.model_id = %s AND emb.owner_id IN ({marks})"
    )
    rows = _rows(sql, [blob, owner_kind, model_id, *owner_ids])
    return {owner_id: (float(distance), bool(ok)) for owner_id, distance, ok in rows}


class MemoryIndex:
    """Unit-length float32 rows of one (owner kind, model id); grows by doubling."""

    def __init__(self, owner_kind: str, model_id: str) -> None:
        self.owner_kind, self.model_id = owner_kind, model_id
        self.lock = threading.Lock()
        self.ids: list[str] = []
        self.positions: dict[str, int] = {}
        self.matrix: Any = None
        self.seq = self.max_id = -1
        self.loaded_at = -math.inf  # never loaded: the first search reloads
        self.too_big = False

    @property
    def size(self) -> int:
        return len(self.ids)

    def nbytes(self) -> int:
        return 0 if self.matrix is None else int(self.matrix[: self.size].nbytes)

    def _apply(self, rows: list[tuple[Any, ...]]) -> None:
        import numpy as np

        for pk, owner_id, seq, blob in rows:
            vector = np.frombuffer(bytes(blob), dtype="<f4")
            if self.matrix is None:
                self.matrix = np.zeros((1024, vector.shape[0]), dtype=np.float32)
            if vector.shape[0] != self.matrix.shape[1]:
                continue  # the store keeps one dimension per model id; never mix them here
            position = self.positions.get(owner_id)
            if position is None:
                position = self.size
                if position == self.matrix.shape[0]:
                    grown = np.zeros((2 * position, self.matrix.shape[1]), dtype=np.float32)
                    grown[:position] = self.matrix
                    self.matrix = grown
                self.positions[owner_id] = position
                self.ids.append(owner_id)
            norm = float(np.linalg.norm(vector))
            self.matrix[position] = vector / norm if norm else vector
            self.seq, self.max_id = max(self.seq, seq), max(self.max_id, pk)

    def _token(self) -> tuple[int, int]:
        seq, max_id = _rows(
            f"SELECT (SELECT max(change_seq) FROM {EMB} WHERE owner_kind = %s AND model_id = %s),"  # noqa: S608 - our table names
            f" (SELECT max(id) FROM {EMB})",
            [self.owner_kind, self.model_id],
        )[0]
        return (-1 if seq is None else int(seq)), (-1 if max_id is None else int(max_id))

    def _read(self, condition: str, bound: int) -> None:
        self._apply(
            _rows(
                f"SELECT id, owner_id, change_seq, vector FROM {EMB} WHERE owner_kind = %s"  # noqa: S608 - our table names
                f" AND model_id = %s AND {condition} > %s ORDER BY id",
                [self.owner_kind, self.model_id, bound],
            )
        )

    def reload(self) -> None:
        self.ids, self.positions, self.matrix = [], {}, None
        self.loaded_at = time.monotonic()
        self.seq, self.max_id = self._token()
        count, dimension = _rows(
            f"SELECT count(*), max(dimension) FROM {EMB} WHERE owner_kind = %s AND model_id = %s",  # noqa: S608 - our table names
            [self.owner_kind, self.model_id],
        )[0]
        # Checked before loading: a matrix over the limit is never built (until the next reload).
        self.too_big = int(count) * int(dimension or 0) * 4 > memory_limit_bytes()
        if not self.too_big:
            self._read("id", -1)

    def refresh(self) -> None:
        """Read the rows written since the last look; a full reload when markers went back."""
        seq, max_id = self._token()
        if (seq, max_id) == (self.seq, self.max_id):
            return
        if seq < self.seq or max_id < self.max_id:
            self.reload()
            return
        # Two range reads, each on an index: (kind, model, change_seq) and the rowid.
        # New rows normally carry a new marker; the id range catches rows written without one.
        if seq > self.seq:
            self._read("change_seq", self.seq)
        if max_id > self.max_id:
            self._read("id", self.max_id)
        self.seq, self.max_id = max(self.seq, seq), max(self.max_id, max_id)

    def top(self, query: Any, count: int) -> list[str]:
        import numpy as np

        scores = self.matrix[: self.size] @ query
        if count < self.size:
            best = np.argpartition(-scores, count - 1)[:count]
        else:
            best = np.arange(self.size)
        return [self.ids[i] for i in best[np.argsort(-scores[best], kind="stable")]]


_indexes: dict[tuple[str, str], MemoryIndex] = {}
_indexes_lock = threading.Lock()


def forget_memory_indexes() -> None:
    """Drop every cached matrix (tests; a restore that rewrote the embeddings table)."""
    with _indexes_lock:
        _indexes.clear()


def _memory(
    owner_kind: str, values: list[float], blob: bytes, model_id: str, limit: int
) -> list[tuple[str, float]] | None:
    """The best ``limit`` live owners, or None to fall back to the exact scan."""
    import numpy as np

    with _indexes_lock:
        index = _indexes.setdefault((owner_kind, model_id), MemoryIndex(owner_kind, model_id))
    query = np.asarray(values, dtype=np.float32)
    query /= float(np.linalg.norm(query)) or 1.0
    with index.lock:
        if time.monotonic() - index.loaded_at > RELOAD_SECONDS:
            index.reload()
        elif not index.too_big:
            index.refresh()
        for _attempt in range(2):
            if index.too_big or index.nbytes() > memory_limit_bytes():
                index.too_big = True
                index.ids, index.positions, index.matrix = [], {}, None
                return None
            if index.size == 0:
                return []
            if index.matrix.shape[1] != query.shape[0]:
                return None  # another dimension is stored under this model id: let SQL decide
            want = min(index.size, 2 * limit + 10)
            while True:
                candidates = index.top(query, want)
                checked = _checked(owner_kind, blob, model_id, candidates)
                stale = len(checked) != len(candidates) or any(
                    abs(checked[c][0] - (1.0 - float(index.matrix[index.positions[c]] @ query)))
                    > TOLERANCE
                    for c in candidates
                )
                if stale:
                    logger.info("embedding matrix %s/%s is stale: reload", owner_kind, model_id)
                    index.reload()
                    break
                live = sorted((d, c) for c, (d, ok) in checked.items() if ok)
                if len(live) >= limit or want >= index.size:
                    return [(c, _similarity(d)) for d, c in live[:limit]]
                if want >= MAX_CANDIDATES:
                    return None
                want = min(index.size, want * 4, MAX_CANDIDATES)
    return None


def similar_owners(
    *, owner_kind: str, vector: Sequence[float], model_id: str, limit: int = 10
) -> list[tuple[str, float]]:
    """(owner id, cosine similarity clamped to 0..1), best first, ties by owner id.

    Only rows stored for ``model_id`` are compared; a query vector whose
    length differs from that model's raises ApplicationError. Soft-deleted
    (and vanished) episodes are never returned.
    """
    if owner_kind not in OwnerKind.values:
        raise ApplicationError(f"owner_kind must be one of {', '.join(OwnerKind.values)}")
    values = check_vector(vector, model_id=model_id)
    if limit <= 0:
        return []
    blob = vector_to_blob(values)
    if search_mode() == "memory":
        hits = _memory(owner_kind, values, blob, model_id, limit)
        if hits is not None:
            return hits
    return _exact(owner_kind, blob, len(values), model_id, limit)
