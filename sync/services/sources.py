"""What the cache holds, read from the database in bounded batches (keyset pages).

- episodes: the latest MAX_EPISODES_CACHE live episodes (newest first by
  ``started_at``, then id), with their steps; key = the UUID as 32 hex digits.
- patterns and heuristics: all of them; key = the primary key as digits.
  They are aggregates whose number grows with distinct signatures, not with
  episodes, and agents read them across all episodes. Caching only those
  evidenced by cached episodes would make membership flip whenever an
  episode is evicted, for little saving.
- embeddings: those of cached episodes and of (all) patterns;
  key = "<owner_kind>:<owner_id>:<model_id>".

Every source yields ``Ref`` rows (key + content hash, no payload); payloads
are loaded only for the items that must be written.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from episodes.hashing import record_hash
from episodes.models import Embedding, Episode, Heuristic, Pattern
from episodes.models.embedding import OwnerKind
from episodes.payloads import heuristic_payload, pattern_payload
from hotcache.cache import EMBEDDINGS, EPISODES, HEURISTICS, PATTERNS
from sync.services.episode_rows import episode_payloads_from_rows
from sync.services.rules import CorruptVector, ExcludeRules, ItemError

KIND_OF = {
    EPISODES: "episode",
    PATTERNS: "pattern",
    HEURISTICS: "heuristic",
    EMBEDDINGS: "embedding",
}
TABLE_OF = {kind: table for table, kind in KIND_OF.items()}
EPISODE_FIELDS = (
    *("id", "started_at", "content_hash", "task_type", "domain", "language", "framework"),
    *("verdict", "tags", "archived_at"),
)


def window_size() -> int:
    return int(settings.MAX_EPISODES_CACHE)


@dataclass
class Ref:
    """One source item: its cache key and content hash (``obj`` when already loaded)."""

    table: str
    key: str
    content_hash: str
    obj: Any = None
    excluded: bool = False


# --- episodes -------------------------------------------------------------------------------


def _episode_ref(row: dict[str, Any], rules: ExcludeRules) -> Ref:
    return Ref(EPISODES, row["id"].hex, row["content_hash"], row, rules.excludes_episode(row))


def _live_episodes() -> Any:
    return Episode.objects.filter(deleted_at__isnull=True).order_by("-started_at", "-id")


def encode_cursor(row: dict[str, Any]) -> list[str]:
    return [row["started_at"].isoformat(), row["id"].hex]


def episode_window_page(
    *, after: Sequence[str] | None, size: int, rules: ExcludeRules
) -> list[Ref]:
    """The next page of the window, newest first, strictly after the cursor."""
    qs = _live_episodes()
    if after:
        when: datetime | None = parse_datetime(after[0])
        # The redundant bound lets SQLite walk the (started_at, id) index from the cursor;
        # the OR alone is planned as a MULTI-INDEX OR that sorts the whole table per page.
        qs = qs.filter(started_at__lte=when).filter(
            Q(started_at__lt=when) | Q(started_at=when, id__lt=after[1])
        )
    return [_episode_ref(row, rules) for row in qs.values(*EPISODE_FIELDS)[:size]]


def episode_window_keys(rules: ExcludeRules) -> tuple[list[str], set[str]]:
    """(wanted keys newest first, keys excluded by a rule) of the current window."""
    if not rules.concerns_episodes:  # keys only: no row is needed whole
        ids = _live_episodes().values_list("id", flat=True)[: window_size()]
        return [pk.hex for pk in ids], set()
    wanted, excluded = [], set()
    for row in _live_episodes().values(*EPISODE_FIELDS)[: window_size()]:
        ref = _episode_ref(row, rules)
        if ref.excluded:
            excluded.add(ref.key)
        else:
            wanted.append(ref.key)
    return wanted, excluded


def episode_refs(keys: Sequence[str], rules: ExcludeRules) -> list[Ref]:
    rows = Episode.objects.filter(pk__in=list(keys), deleted_at__isnull=True)
    return [_episode_ref(row, rules) for row in rows.values(*EPISODE_FIELDS)]


def episode_payloads(keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    return episode_payloads_from_rows(keys)


# --- patterns and heuristics ----------------------------------------------------------------


def record_page(table: str, *, after: int, size: int, rules: ExcludeRules) -> list[Ref]:
    model = Pattern if table == PATTERNS else Heuristic
    rows = model.objects.filter(pk__gt=after).order_by("pk")[:size]
    return [record_ref(table, row, rules) for row in rows]


def record_ref(table: str, row: Any, rules: ExcludeRules) -> Ref:
    excluded = table == PATTERNS and rules.excludes_pattern(row.kind)
    return Ref(table, str(row.pk), row.content_hash, row, excluded)


def record_keys(table: str, rules: ExcludeRules) -> tuple[set[str], set[str]]:
    if table == PATTERNS:
        pairs = list(Pattern.objects.values_list("pk", "kind"))
        excluded = {str(pk) for pk, kind in pairs if rules.excludes_pattern(kind)}
        return {str(pk) for pk, _ in pairs} - excluded, excluded
    return {str(pk) for pk in Heuristic.objects.values_list("pk", flat=True)}, set()


# --- embeddings -----------------------------------------------------------------------------


def embedding_key(row: Embedding) -> str:
    return f"{row.owner_kind}:{row.owner_id}:{row.model_id}"


def _checked_vector(row: Embedding) -> bytes:
    blob = bytes(row.vector)
    if len(blob) != row.dimension * 4:
        raise CorruptVector(
            f"embedding {embedding_key(row)} holds {len(blob)} bytes for dimension {row.dimension}"
        )
    return blob


def embedding_hash(row: Embedding) -> str:
    """Embeddings store no hash of their own: hash the model, dimension and vector bytes."""
    digest = hashlib.sha256(_checked_vector(row)).hexdigest()
    fields = {"owner": f"{row.owner_kind}:{row.owner_id}", "model_id": row.model_id}
    return record_hash("embedding", {**fields, "dimension": row.dimension, "vector": digest})


def embedding_payload(row: Embedding) -> dict[str, Any]:
    return {
        "owner_kind": row.owner_kind,
        "owner_id": row.owner_id,
        "model_id": row.model_id,
        "dimension": row.dimension,
        # Raw little-endian float32 bytes, base64: a quarter of the JSON-number size.
        "vector_f32le_b64": base64.b64encode(_checked_vector(row)).decode("ascii"),
        "change_seq": row.change_seq,
    }


def embedding_ref(row: Embedding) -> Ref:
    try:
        content_hash = embedding_hash(row)
    except CorruptVector:
        content_hash = ""  # never equal to a registry hash: the write is attempted and fails
    return Ref(EMBEDDINGS, embedding_key(row), content_hash, row)


def embedding_refs_for(owner_kind: str, owner_keys: Sequence[str]) -> list[Ref]:
    rows = Embedding.objects.filter(owner_kind=owner_kind, owner_id__in=list(owner_keys))
    return [embedding_ref(row) for row in rows.order_by("owner_id", "model_id")]


def embedding_keys_for(owner_kind: str, owner_keys: Iterable[str]) -> set[str]:
    owners, keys = list(owner_keys), set()
    if len(owners) > 500:  # one pass over the kind beats a query per 500 owners
        wanted = set(owners)
        rows = Embedding.objects.filter(owner_kind=owner_kind).values_list("owner_id", "model_id")
        return {f"{owner_kind}:{o}:{m}" for o, m in rows.iterator() if str(o) in wanted}
    for start in range(0, len(owners), 500):
        rows = Embedding.objects.filter(
            owner_kind=owner_kind, owner_id__in=owners[start : start + 500]
        ).values_list("owner_id", "model_id")
        keys |= {f"{owner_kind}:{owner}:{model}" for owner, model in rows}
    return keys


def embedding_refs_by_key(keys: Sequence[str]) -> list[Ref]:
    refs = []
    for key in keys:
        kind, owner, model = key.split(":", 2)
        row = Embedding.objects.filter(owner_kind=kind, owner_id=owner, model_id=model).first()
        if row is not None:
            refs.append(embedding_ref(row))
    return refs


def embedding_owner(key: str) -> tuple[str, str]:
    kind, owner, _model = key.split(":", 2)
    return (EPISODES if kind == OwnerKind.EPISODE else PATTERNS), owner


# --- payloads and change feeds --------------------------------------------------------------


def payloads(table: str, refs: Sequence[Ref]) -> dict[str, Any]:
    """{key: payload or the ItemError that stopped it}; rows gone since are left out."""
    if table == EPISODES:
        return dict(episode_payloads([r.key for r in refs]))
    out: dict[str, Any] = {}
    builders: dict[str, Callable[[Any], dict[str, Any]]] = {
        PATTERNS: pattern_payload,
        HEURISTICS: heuristic_payload,
        EMBEDDINGS: embedding_payload,
    }
    build = builders[table]
    for ref in refs:
        try:
            out[ref.key] = build(ref.obj)
        except ItemError as exc:
            out[ref.key] = exc
    return out


MODEL_OF = {EPISODES: Episode, PATTERNS: Pattern, HEURISTICS: Heuristic, EMBEDDINGS: Embedding}


def changed_since(table: str, *, after_seq: int, upto_seq: int, size: int) -> Iterator[list[Any]]:
    """Rows whose change marker lies in (after_seq, upto_seq], in marker order, by pages."""
    model: Any = MODEL_OF[table]
    base = model.objects.filter(change_seq__lte=upto_seq).order_by("change_seq", "pk")
    after: Q = Q(change_seq__gt=after_seq)
    while True:
        rows = list(base.filter(after)[:size])
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = rows[-1]
        # change_seq__gte bounds the index range (see episode_window_page).
        after = Q(change_seq__gte=last.change_seq) & (
            Q(change_seq__gt=last.change_seq) | Q(change_seq=last.change_seq, pk__gt=last.pk)
        )
