"""Catch up with the change feed and make the cache's membership exact.

Used by the end of every run (changes since the run's high-water mark) and
by the write-behind (changes since the cache's ``applied_seq``):

1. every row whose change marker lies in (after, upto] is re-checked: live
   and wanted → written if its hash differs; deleted or outside the window
   → removed from the cache;
2. membership: keys cached but no longer wanted are removed (evicted beyond
   the window, removed when the source is gone, or excluded by a rule);
   wanted keys not cached are written (an episode moves into the window
   when a newer one is deleted).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from episodes.models import Episode, Heuristic, Pattern
from episodes.models.embedding import OwnerKind
from hotcache.cache import EMBEDDINGS, EPISODES, HEURISTICS, PATTERNS
from sync.services.apply import Applier, Delete
from sync.services.meta import registry_keys
from sync.services.rules import ExcludeRules
from sync.services.sources import (
    Ref,
    changed_since,
    embedding_keys_for,
    embedding_owner,
    embedding_ref,
    embedding_refs_by_key,
    episode_refs,
    episode_window_keys,
    record_keys,
    record_ref,
)

TABLE_ORDER = (EPISODES, PATTERNS, HEURISTICS, EMBEDDINGS)


@dataclass
class Wanted:
    """What the cache should hold now, per table (keys only), and what rules exclude."""

    keys: dict[str, set[str]] = field(default_factory=dict)
    excluded: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def compute(cls, tables: Iterable[str], rules: ExcludeRules) -> Wanted:
        tables = set(tables)
        wanted = cls()
        need_episodes = tables & {EPISODES, EMBEDDINGS}
        need_patterns = tables & {PATTERNS, EMBEDDINGS}
        if need_episodes:
            keys, excluded = episode_window_keys(rules)
            wanted.keys[EPISODES], wanted.excluded[EPISODES] = set(keys), excluded
        if need_patterns:
            wanted.keys[PATTERNS], wanted.excluded[PATTERNS] = record_keys(PATTERNS, rules)
        if HEURISTICS in tables:
            wanted.keys[HEURISTICS], wanted.excluded[HEURISTICS] = record_keys(HEURISTICS, rules)
        if EMBEDDINGS in tables:
            wanted.keys[EMBEDDINGS] = embedding_keys_for(
                OwnerKind.EPISODE, wanted.keys[EPISODES]
            ) | embedding_keys_for(OwnerKind.PATTERN, wanted.keys[PATTERNS])
            wanted.excluded[EMBEDDINGS] = embedding_keys_for(
                OwnerKind.EPISODE, wanted.excluded[EPISODES]
            ) | embedding_keys_for(OwnerKind.PATTERN, wanted.excluded[PATTERNS])
        return wanted

    def owner_wanted(self, embedding_key: str) -> bool:
        table, owner = embedding_owner(embedding_key)
        return owner in self.keys.get(table, set())


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _classify_changed(
    table: str, rows: list[Any], wanted: Wanted, rules: ExcludeRules
) -> tuple[list[Ref], list[Delete]]:
    refs: list[Ref] = []
    deletes: list[Delete] = []
    for row in rows:
        if table == EPISODES:
            key = row.pk.hex
            if key in wanted.keys[EPISODES]:
                refs.extend(episode_refs([key], rules))
            elif key in wanted.excluded[EPISODES]:
                deletes.append(Delete(table, key, "excluded"))
            else:
                reason = "removed" if row.deleted_at is not None else "evicted"
                deletes.append(Delete(table, key, reason))
        elif table == EMBEDDINGS:
            ref = embedding_ref(row)
            if ref.key in wanted.keys[EMBEDDINGS]:
                refs.append(ref)
            else:
                reason = "evicted" if _embedding_live(ref.key) else "removed"
                deletes.append(Delete(table, ref.key, reason))
        else:
            refs.append(record_ref(table, row, rules))
    return refs, deletes


def catch_up(
    applier: Applier,
    *,
    tables: Sequence[str],
    wanted: Wanted,
    rules: ExcludeRules,
    after_seq: int,
    upto_seq: int,
    batch_size: int,
    on_batch: Callable[[], None] | None = None,
) -> None:
    """Re-check every row changed in (after_seq, upto_seq], in marker order."""
    for table in (t for t in TABLE_ORDER if t in tables):
        for rows in changed_since(table, after_seq=after_seq, upto_seq=upto_seq, size=batch_size):
            refs, deletes = _classify_changed(table, rows, wanted, rules)
            applier.apply(refs, deletes)
            applier.breathe()
            if on_batch:
                on_batch()


def _embedding_live(key: str) -> bool:
    """The embedding and its owner still exist (so leaving the cache is an eviction)."""
    if not embedding_refs_by_key([key]):
        return False
    table, owner = embedding_owner(key)
    if table == EPISODES:
        return Episode.objects.filter(pk=owner, deleted_at__isnull=True).exists()
    return Pattern.objects.filter(pk=int(owner)).exists()


def _extra_reason(table: str, keys: Sequence[str], wanted: Wanted) -> dict[str, str]:
    excluded = wanted.excluded.get(table, set())
    reasons = {k: "excluded" for k in keys if k in excluded}
    rest = [k for k in keys if k not in reasons]
    if table == EPISODES:
        live = {
            pk.hex
            for pk in Episode.objects.filter(pk__in=rest, deleted_at__isnull=True).values_list(
                "pk", flat=True
            )
        }
    elif table == EMBEDDINGS:
        live = {k for k in rest if _embedding_live(k)}
    else:
        live = set()  # a pattern or heuristic not wanted is one whose row is gone
    reasons.update({k: "evicted" if k in live else "removed" for k in rest})
    return reasons


def reconcile(
    applier: Applier,
    *,
    tables: Sequence[str],
    wanted: Wanted,
    rules: ExcludeRules,
    batch_size: int,
    add_missing: bool = True,
    on_batch: Callable[[], None] | None = None,
) -> None:
    """Remove cached keys that are not wanted; write wanted keys that are missing."""
    for table in (t for t in TABLE_ORDER if t in tables):
        with applier.open_cache() as writer:
            cached = registry_keys(writer, table) if writer else set()
        extras = sorted(cached - wanted.keys[table])
        for chunk in _chunks(extras, batch_size):
            reasons = _extra_reason(table, chunk, wanted)
            applier.apply([], [Delete(table, k, reasons[k]) for k in chunk])
            applier.breathe()
            if on_batch:
                on_batch()
        if not add_missing:
            continue
        missing = sorted(wanted.keys[table] - cached)
        for chunk in _chunks(missing, batch_size):
            applier.apply(_refs_by_key(table, chunk, rules))
            applier.breathe()
            if on_batch:
                on_batch()


def _refs_by_key(table: str, keys: Sequence[str], rules: ExcludeRules) -> list[Ref]:
    if table == EPISODES:
        return episode_refs(keys, rules)
    if table == EMBEDDINGS:
        return embedding_refs_by_key(keys)
    model: Any = Pattern if table == PATTERNS else Heuristic
    rows = model.objects.filter(pk__in=[int(k) for k in keys])
    return [record_ref(table, row, rules) for row in rows]
