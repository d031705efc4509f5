"""A plain incremental run over a cache already in step: count it, touch nothing.

Every write stamps a change marker, so a cache whose last full run applied
every change up to the current marker, under the same exclude rules and
window, holds what a new run would write: same keys, same hashes. Such a run
skips the window pass, the catch-up, the reconcile and the validation
(nothing is written, so nothing can have drifted) — but never redb's
integrity check.
"""

from __future__ import annotations

from episodes.changes import current_change_seq
from hotcache.cache import DATA_TABLES, METADATA, CacheError, cache_path, cache_writer
from sync.models import FailedItem, SyncRun
from sync.models.failures import OPEN_STATES
from sync.models.runs import Scope, Trigger
from sync.services.apply import Tally
from sync.services.checkpoint import Checkpoint
from sync.services.meta import APPLIED_SEQ, EXCLUDE, WINDOW
from sync.services.rules import ExcludeRules
from sync.services.sources import window_size


def cache_in_step(*, upto: int, exclude: list[str], window: int) -> dict[str, int] | None:
    """Entries per data table when the cache's stamp matches, else None."""
    if not cache_path().exists():
        return None
    try:
        with cache_writer() as writer:
            if (
                writer.get(METADATA, APPLIED_SEQ) != upto
                or writer.get(METADATA, EXCLUDE) != exclude
                or writer.get(METADATA, WINDOW) != window
            ):
                return None
            # Every run checks redb's integrity (~150 ms at 100k episodes): damage
            # with an intact stamp must still be repaired or quarantined, which
            # the full path does. False means redb just repaired something.
            if not writer.check_integrity():
                return None
            return {table: writer.count(table) for table in DATA_TABLES}
    except CacheError:
        return None  # the full path reports (and repairs) what is wrong


def stamped_seq(run: SyncRun, rules: ExcludeRules) -> int | None:
    """The cache's ``applied_seq`` when a plain run may just catch up from it, else None.

    The stamp is written only by a run over every table that ended with the
    cache equal to the database up to that marker; under the same rules and
    window, the rows changed since then (the catch-up) plus the membership
    check (the reconcile) are then all a new run has to look at. Open failed
    items would be retried only by the full pass, so they rule it out.
    """
    if run.dry_run or run.force_full or run.scope != Scope.ALL:
        return None
    if (
        run.trigger == Trigger.WRITE_BEHIND
        or FailedItem.objects.filter(state__in=OPEN_STATES).exists()
    ):
        return None
    if not cache_path().exists():
        return None
    try:
        with cache_writer() as writer:
            applied = writer.get(METADATA, APPLIED_SEQ)
            if (
                applied is None
                or writer.get(METADATA, EXCLUDE) != list(rules.rules)
                or writer.get(METADATA, WINDOW) != window_size()
            ):
                return None
    except CacheError:
        return None
    return int(applied)


def count_untouched(tally: Tally, tables: tuple[str, ...]) -> None:
    """After a catch-up from the stamp: cached entries that were not rewritten are unchanged."""
    with cache_writer() as writer:
        counts = {table: writer.count(table) for table in tables}
    for table, count in counts.items():
        touched = tally.by_table.get(table, {})
        rest = count - touched.get("new", 0) - touched.get("modified", 0)
        if rest > 0:
            tally.bump(table, "unchanged", rest)


def already_in_step(run: SyncRun, rules: ExcludeRules, tally: Tally) -> bool:
    """True (with the cached entries counted as unchanged) when ``run`` has nothing to do.

    Never for dry, forced, partial-scope, write-behind or resumed runs, nor while
    failed items wait for a retry (the full pass would try them again).
    """
    if run.dry_run or run.force_full or run.scope != Scope.ALL:
        return False
    if run.trigger == Trigger.WRITE_BEHIND or not Checkpoint.from_json(run.checkpoint).is_empty:
        return False
    if FailedItem.objects.filter(state__in=OPEN_STATES).exists():
        return False
    counts = cache_in_step(
        upto=current_change_seq(), exclude=list(rules.rules), window=window_size()
    )
    if counts is None:
        return False
    for table, count in counts.items():
        if count:
            tally.bump(table, "unchanged", count)
    run.progress_total = run.progress_done = sum(counts.values())
    return True
