"""Counts of use (how often a pattern was retrieved), aggregated off the request path.

A retrieve writes no row of the memory: it adds to this process's tally. Once
the oldest uncounted retrieval is ``RETRIEVAL_COUNT_FLUSH_SECONDS`` old, the
next retrieve hands the whole tally to the django-q2 cluster as one task
(at most one queued task per interval per process, whatever the load), and
the task adds the counts in one transaction, with a new change marker and
content hash per pattern so the cached copy follows. A process that dies
loses at most one interval of counts: they are statistics, not memory.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django_q.tasks import async_task

from episodes.changes import next_change_seqs
from episodes.learning.patterns import pattern_hash
from episodes.models import Pattern
from memoryadmin.db.rowwrite import update_columns

_lock = threading.Lock()
_tally: Counter[int] = Counter()
_oldest: float | None = None  # monotonic time of the oldest uncounted retrieval


def _flush_seconds() -> float:
    return float(getattr(settings, "RETRIEVAL_COUNT_FLUSH_SECONDS", 10.0))


def pattern_retrievals_take() -> dict[int, int]:
    """Empty this process's tally and return what it held."""
    global _oldest
    with _lock:
        counts, _oldest = dict(_tally), None
        _tally.clear()
    return counts


def pattern_retrievals_record(*, pattern_ids: Iterable[int], now: float | None = None) -> None:
    """Count one retrieval of each pattern in this process; queue the tally when due."""
    global _oldest
    now = time.monotonic() if now is None else now
    with _lock:
        _tally.update(pattern_ids)
        if not _tally:
            return
        if _oldest is None:
            _oldest = now
        due = now - _oldest >= _flush_seconds()
    if due:
        pattern_retrievals_flush()


def pattern_retrievals_flush() -> int:
    """Hand this process's tally to the cluster now; returns how many patterns it covers."""
    counts = pattern_retrievals_take()
    if counts:
        async_task("episodes.tasks.pattern_retrievals_add_task", counts, group="usage")
    return len(counts)


def pattern_retrievals_pending() -> dict[int, int]:
    """This process's uncounted retrievals."""
    with _lock:
        return dict(_tally)


@transaction.atomic
def pattern_retrievals_add(*, counts: dict[int, int]) -> int:
    """Add retrieval counts to their patterns (the task's service); returns rows updated.

    Patterns deleted since they were retrieved are skipped.
    """
    patterns = list(Pattern.objects.filter(pk__in=[pk for pk, n in counts.items() if n > 0]))
    if not patterns:
        return 0
    for pattern, seq in zip(patterns, next_change_seqs(len(patterns)), strict=True):
        pattern.times_retrieved += counts[pattern.pk]
        pattern.change_seq = seq
        pattern.content_hash = pattern_hash(pattern)
    update_columns(patterns, ("times_retrieved", "change_seq", "content_hash"))
    return len(patterns)


def _flush_at_exit() -> None:
    # Best effort when a worker stops cleanly; the database may already be gone.
    with contextlib.suppress(Exception):
        pattern_retrievals_flush()


atexit.register(_flush_at_exit)
