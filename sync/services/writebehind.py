"""Write-behind: apply every change newer than the cache's ``applied_seq``.

Every service write stamps a global change marker (episodes/changes.py), so
"what changed since the cache was last in step" is one indexed range read
per table. The work runs as a SyncRun with trigger ``write_behind`` so it
shares the one-run guard: while a full run is active the write-behind
steps aside (the run's own catch-up applies those changes). django-q2
schedules it every minute (its finest granularity), and each episode write
queues it (debounced) through the ``episode_changed`` signal.
"""

from __future__ import annotations

from typing import Any

from episodes.changes import current_change_seq
from sync.models.runs import Status, Trigger
from sync.services.breaker import breaker_allow, breaker_state
from sync.services.checkpoint import Checkpoint
from sync.services.engine import sync_run_execute
from sync.services.meta import APPLIED_SEQ, meta_read
from sync.services.runs import sync_run_start


def cache_write_behind(*, batch_size: int = 100) -> dict[str, Any]:
    """Bring the cache up to the newest change marker; returns what happened.

    ``status``: in_step (nothing to do), applied (a write-behind run ran),
    deferred (another run holds the cache), busy (a writer holds the file),
    rebuilt (the cache had no marker: a full recovery run ran), skipped
    (the database is unavailable).
    """
    if not breaker_allow():
        return {"status": "skipped", "reason": breaker_state().last_error}
    applied = meta_read(APPLIED_SEQ)
    if applied.status == "busy":
        return {"status": "busy"}
    current = current_change_seq()
    if applied.status == "hit" and applied.value is not None and int(applied.value) >= current:
        return {"status": "in_step", "applied_seq": int(applied.value)}
    needs_full = applied.status != "hit" or applied.value is None
    trigger = Trigger.RECOVERY if needs_full else Trigger.WRITE_BEHIND
    run = sync_run_start(trigger=trigger, batch_size=batch_size)
    if run.pk is None:
        return {"status": "skipped", "reason": "; ".join(run.warnings)}
    if run.status != Status.QUEUED:
        return {"status": "deferred", "run_id": run.pk}
    run = sync_run_execute(run_id=run.pk)
    status = "rebuilt" if needs_full else "applied"
    if run.trigger != trigger:  # we executed a queued run someone else started
        status = "deferred"
    return {
        "status": status if run.status in (Status.SUCCEEDED, Status.PARTIAL) else run.status,
        "run_id": run.pk,
        "applied_seq": Checkpoint.from_json(run.checkpoint).upto_seq,
        "written": run.new_count + run.modified_count,
        "removed": run.evicted_count + run.removed_count,
    }
