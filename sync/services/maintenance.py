"""Operator maintenance: rebuild the cache from the database."""

from __future__ import annotations

from typing import Any

from hotcache.cache import CacheCorrupted, cache_writer
from memoryadmin.exceptions import Conflict
from sync.models import SyncRun
from sync.models.runs import Status, Trigger
from sync.services.checkpoint import Checkpoint
from sync.services.engine import Progress, sync_run_execute
from sync.services.meta import cache_quarantine_now
from sync.services.runs import sync_run_start


def cache_rebuild(
    *,
    user: Any = None,
    batch_size: int = 100,
    on_progress: Progress | None = None,
) -> SyncRun:
    """Empty the cache (a damaged file is moved aside and kept) and refill it from the database.

    Holds the one-run slot throughout; raises Conflict while another run is active.
    Readers fall back to the database until the rebuild has written their items.
    """
    run = sync_run_start(
        trigger=Trigger.MANUAL, force_full=True, user=user, batch_size=batch_size, tags=["rebuild"]
    )
    if run.pk is None:
        return run  # skipped: the database is unavailable; nothing was touched
    if run.status != Status.QUEUED or "rebuild" not in run.tags:
        raise Conflict(
            f"sync run #{run.pk} is {run.status}; rebuild when it has finished",
            extra={"run_id": run.pk},
        )
    try:
        with cache_writer() as writer:
            writer.clear()
        run.warnings.append("cache emptied for the rebuild")
    except CacheCorrupted as exc:
        aside = cache_quarantine_now(str(exc))
        run.warnings.append(f"cache file was damaged; kept as {aside}")
    run.checkpoint = Checkpoint().to_json()  # no position: the rebuild starts a new lineage
    run.save(update_fields=["warnings", "checkpoint"])
    return sync_run_execute(run_id=run.pk, on_progress=on_progress)
