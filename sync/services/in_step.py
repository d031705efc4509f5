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
from sync.cache import DATA_TABLES, METADATA, CacheError, cache_path, cache_writer
from sync.models import FailedItem, SyncRun
from sync.models.failures import OPEN_STATES
from sync.models.runs import Scope, Trigger
from sync.services.apply import Tally
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


def already_in_step(run: SyncRun, rules: ExcludeRules, tally: Tally) -> bool:
    """True (with the cached entries counted as unchanged) when ``run`` has nothing to do.

    Never for dry, forced, partial-scope, write-behind or resumed runs, nor while
    failed items wait for a retry (the full pass would try them again).
    """
    if run.dry_run or run.force_full or run.scope != Scope.ALL:
        return False
    if run.trigger == Trigger.WRITE_BEHIND or (run.checkpoint or {}).get("phase"):
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
