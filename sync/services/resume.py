"""Where a run starts: a fresh lineage, a catch-up from a stamp, or a resumed lineage.

A failed run's row keeps its checkpoint and ``sync_run_start`` copies it
onto the run that resumes it (``resumed_from``). The cache carries the
lineage's checkpoint too, written in the same transaction as each batch;
the row only gets it after a durable commit, so the cache may be ahead of
the row, never behind. Of the two, the further (more batches) wins, as long
as the cache carries the same lineage (``origin``).
"""

from __future__ import annotations

from dataclasses import replace

from episodes.changes import current_change_seq
from sync.models import SyncRun
from sync.models.runs import Scope, Trigger
from sync.services import meta
from sync.services.checkpoint import RECONCILE, Checkpoint
from sync.services.in_step import stamped_seq
from sync.services.rules import ExcludeRules
from sync.services.scopes import PHASES


def checkpoint_start(*, run: SyncRun, rules: ExcludeRules, rebuilding: bool) -> Checkpoint:
    """The checkpoint ``run`` starts from; a resumed run gets a warning saying where.

    ``rebuilding``: the cache is being built from scratch, so nothing in it
    (nor the row's position, which described the old file) can be trusted.
    """
    fresh = Checkpoint.fresh(
        run_id=run.pk, phase=PHASES[Scope(run.scope)][0], high_water=current_change_seq()
    )
    if run.trigger == Trigger.WRITE_BEHIND:
        applied = meta.meta_get(meta.APPLIED_SEQ)
        if applied is not None:
            return replace(fresh, phase=RECONCILE, after_seq=int(applied))
        return fresh
    saved = Checkpoint.from_json(run.checkpoint)
    if rebuilding or run.dry_run or saved.is_empty or saved.finished:
        applied = None if rebuilding else stamped_seq(run, rules)
        if applied is not None:
            return replace(fresh, phase=RECONCILE, after_seq=applied, from_stamp=True)
        return fresh
    in_cache = Checkpoint.from_json(meta.meta_get(meta.CHECKPOINT))
    if in_cache.origin != saved.origin:
        return fresh  # the cache does not carry this lineage (rebuilt, or never written)
    best = in_cache if in_cache.batches > saved.batches else saved
    run.warnings.append(
        f"resumed from run #{run.resumed_from_id} at {best.phase} after {best.batches} batches"
    )
    return replace(best, run=run.pk)
