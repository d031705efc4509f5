"""Sync one item now (the retry queue's attempt): write it, or remove it if unwanted."""

from __future__ import annotations

from django.db.models import Q

from episodes.models import Embedding, Episode, Heuristic, Pattern
from hotcache.cache import EMBEDDINGS, EPISODES, PATTERNS
from sync.services.apply import Applier, Delete
from sync.services.meta import EXCLUDE, meta_read
from sync.services.rules import ExcludeRules
from sync.services.sources import (
    TABLE_OF,
    Ref,
    embedding_owner,
    embedding_ref,
    episode_refs,
    record_ref,
    window_size,
)


def _episode_wanted(key: str, rules: ExcludeRules) -> tuple[Ref | None, str]:
    refs = episode_refs([key], rules)
    if not refs:
        return None, "removed"
    ref = refs[0]
    when = ref.obj["started_at"]
    newer = (
        Episode.objects.filter(deleted_at__isnull=True)
        .filter(Q(started_at__gt=when) | Q(started_at=when, id__gt=key))
        .count()
    )
    if newer >= window_size():
        return None, "evicted"
    return ref, ""


def _owner_wanted(embedding_key: str, rules: ExcludeRules) -> bool:
    table, owner = embedding_owner(embedding_key)
    if table == EPISODES:
        ref, _ = _episode_wanted(owner, rules)
        return ref is not None and not ref.excluded
    pattern = Pattern.objects.filter(pk=int(owner)).first()
    return pattern is not None and not rules.excludes_pattern(pattern.kind)


def item_sync(*, kind: str, key: str) -> str:
    """Bring one cache entry in step with its source; returns what happened."""
    table = TABLE_OF[kind]
    rules = ExcludeRules.parse(meta_read(EXCLUDE).value or [])
    ref: Ref | None = None
    reason = "removed"
    if table == EPISODES:
        ref, reason = _episode_wanted(key, rules)
    elif table == EMBEDDINGS:
        kind_, owner, model = key.split(":", 2)
        row = Embedding.objects.filter(owner_kind=kind_, owner_id=owner, model_id=model).first()
        if row is not None:
            ref, reason = (
                (embedding_ref(row), "") if _owner_wanted(key, rules) else (None, "evicted")
            )
    else:
        model_: type[Pattern] | type[Heuristic] = Pattern if table == PATTERNS else Heuristic
        row_ = model_.objects.filter(pk=int(key)).first()
        ref = record_ref(table, row_, rules) if row_ is not None else None
    applier = Applier()
    if ref is None:
        applier.apply([], [Delete(table, key, reason)])
        return reason
    applier.apply([ref])
    tally = applier.tally
    for outcome in ("failed", "new", "modified", "unchanged", "excluded"):
        if getattr(tally, outcome):
            return outcome
    return "unchanged"
