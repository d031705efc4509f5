"""The ways a run starts besides a person: schedule, start-up, recovery."""

from __future__ import annotations

import logging

from django.conf import settings
from django_q.tasks import async_task

from sync.models import SyncRun
from sync.models.runs import Status, Trigger
from sync.services.engine import sync_run_execute
from sync.services.runs import sync_run_start

log = logging.getLogger(__name__)


def stale_after_seconds() -> float:
    return float(getattr(settings, "SYNC_STALE_SECONDS", 600))


def sync_enqueue(run: SyncRun) -> bool:
    """Hand a queued run to the django-q2 cluster; False when there is nothing to queue."""
    if run.pk is None or run.status != Status.QUEUED:
        return False
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


def cache_rebuild_enqueue(*, user_id: int | None) -> None:
    """Queue a rebuild of the whole cache for the cluster (the console's Rebuild button)."""
    async_task("sync.tasks.cache_rebuild_task", user_id, group="sync")
