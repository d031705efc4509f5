"""The ways a run starts besides a person: schedule, start-up, a stale read, recovery."""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings

from sync.models import SyncRun
from sync.models.runs import Status, Trigger
from sync.services.engine import sync_run_execute
from sync.services.runs import sync_run_start

log = logging.getLogger(__name__)

_last_check = 0.0
_check_lock = threading.Lock()


def stale_after_seconds() -> float:
    return float(getattr(settings, "SYNC_STALE_SECONDS", 600))


def sync_enqueue(run: SyncRun) -> bool:
    """Hand a queued run to the django-q2 cluster; False when there is nothing to queue."""
    if run.pk is None or run.status != Status.QUEUED:
        return False
    from django_q.tasks import async_task

    async_task("sync.tasks.sync_run_task", run.pk, group="sync", task_name=f"sync-run-{run.pk}")
    return True


def sync_scheduled(*, trigger: str = Trigger.PERIODIC) -> SyncRun:
    """Start and execute a run here and now (from a worker or a command)."""
    run = sync_run_start(trigger=trigger)
    if run.pk is not None and run.status == Status.QUEUED:
        run = sync_run_execute(run_id=run.pk)
    return run


def sync_startup() -> SyncRun:
    """Queue the start-up sync for the cluster; returns at once (call it from ``serve``)."""
    run = sync_run_start(trigger=Trigger.STARTUP)
    sync_enqueue(run)
    return run


def sync_if_stale(
    *, max_age_seconds: float | None = None, min_interval: float = 30.0
) -> SyncRun | None:
    """Call from a read path: queue a sync when the cache is staler than the threshold.

    Cheap and never blocking: at most one check per ``min_interval`` seconds
    per process; the check is one metadata read and one counter read; the run
    itself goes to the cluster. Returns the queued (or already active) run.
    """
    global _last_check
    now = time.monotonic()
    with _check_lock:
        if now - _last_check < min_interval:
            return None
        _last_check = now
    from sync.selectors import cache_freshness

    freshness = cache_freshness()
    limit = stale_after_seconds() if max_age_seconds is None else max_age_seconds
    lag = freshness["lag_seconds"]
    if lag is not None and lag <= limit:
        return None
    run = sync_run_start(trigger=Trigger.STALENESS)
    if sync_enqueue(run):
        log.info("cache %s s stale (limit %s s): queued sync run %s", lag, limit, run.pk)
    return run
