"""django-q2 tasks of the sync app: thin, ids in, one service call (schedules: setup_schedules)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from sync.models.runs import Trigger
from sync.services import (
    cache_rebuild,
    cache_write_behind,
    failed_items_retry_due,
    sync_run_execute,
    sync_scheduled,
    sync_verify,
)


def sync_run_task(run_id: int) -> str:
    """Execute a queued run (start-up, staleness, the console's "sync now")."""
    return sync_run_execute(run_id=run_id).status


def sync_periodic_task() -> str:
    run = sync_scheduled(trigger=Trigger.PERIODIC)
    return f"{run.pk}:{run.status}"


def cache_write_behind_task() -> dict[str, Any]:
    return cache_write_behind()


def failed_items_retry_task() -> dict[str, int]:
    return failed_items_retry_due()


def sync_verify_task(full: bool = True) -> bool:
    return sync_verify(full=full).passed


def cache_rebuild_task(user_id: int | None = None) -> str:
    """Empty the cache and refill it from the database (the console's Rebuild button)."""
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    run = cache_rebuild(user=user)
    return f"run {run.pk}: {run.status}"
