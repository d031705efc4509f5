"""Executing a run: health, the window pass in batches, catch-up, reconcile, validation.

Checkpoints: after every batch the position (a ``Checkpoint``: phase, keyset
cursor, counts, the run's high-water change marker) is written into the
cache's metadata *in the same transaction as the batch*. The passes hold the
writer and commit batches without fsync (writer_hold.py); only after a
durable commit (about once per SYNC_WRITER_HOLD_SECONDS, and at the end of
the passes) is the checkpoint copied onto the SyncRun row, so the row never
claims more than the cache durably holds. A run killed at any instant
therefore leaves a cache whose checkpoint matches its contents (a crash
rolls both back to the last durable commit); the next run of the same
lineage resumes from the further of the two (resume.py). Whatever the resume
point, the final catch-up + reconcile make the cache equal to the database,
so a resumed run ends exactly where an uninterrupted one would.

A plain incremental run over a cache stamped by an earlier full run (same
exclude rules and window) skips the window pass: like the write-behind it
only re-checks the rows changed since the stamp, then reconciles membership.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.db import DatabaseError
from django.utils import timezone

from episodes.changes import current_change_seq
from episodes.models import Episode, Heuristic, Pattern
from episodes.models.embedding import OwnerKind
from hotcache.cache import EMBEDDINGS, EPISODES, HEURISTICS, PATTERNS, CacheCorrupted
from sync.models import SyncRun
from sync.models.runs import Scope, Status, Trigger
from sync.services import meta
from sync.services.apply import Applier, Preview, Tally
from sync.services.breaker import breaker_record_failure, database_ping
from sync.services.checkpoint import DONE, RECONCILE, Checkpoint
from sync.services.in_step import already_in_step, count_untouched
from sync.services.reconcile import Wanted, catch_up, reconcile
from sync.services.report import finish_run
from sync.services.resume import checkpoint_start
from sync.services.rules import ExcludeRules
from sync.services.runs import claim_run, release_run
from sync.services.scopes import PHASES, TABLES
from sync.services.sources import (
    Ref,
    embedding_refs_for,
    encode_cursor,
    episode_window_page,
    record_page,
    window_size,
)

log = logging.getLogger(__name__)

Progress = Callable[[SyncRun], None]


class _Restart(Exception):
    """The cache file was damaged mid-run and moved aside: start again on a fresh one."""


def sync_run_execute(*, run_id: int, on_progress: Progress | None = None) -> SyncRun:
    """Do the work of a queued run (the task calls this; commands call it inline).

    Returns the run as it ended, or as it is when another process claimed it.
    """
    run = claim_run(run_id)
    if run is None:
        return SyncRun.objects.get(pk=run_id)
    try:
        _Execution(run, on_progress).execute()
    except Exception as exc:  # the run must end recorded, whatever went wrong
        log.exception("sync run %s failed", run.pk)
        run.warnings.append(f"{type(exc).__name__}: {exc}")
        finish_run(run, Status.FAILED, error=f"{type(exc).__name__}: {exc}")
    finally:
        release_run(run.pk)
    return run


class _Execution:
    def __init__(self, run: SyncRun, on_progress: Progress | None) -> None:
        self.run = run
        self.on_progress = on_progress
        self.rules = ExcludeRules.parse(run.exclude)
        self.tables = TABLES[Scope(run.scope)]
        self.tally = Tally()
        self.preview = Preview() if run.dry_run else None
        self.applier = Applier(
            run=run,
            dry_run=run.dry_run,
            force_full=run.force_full,
            tally=self.tally,
            preview=self.preview,
        )
        self.cp = Checkpoint.from_json(run.checkpoint)  # replaced batch by batch

    # --- the whole run ---------------------------------------------------------------------

    def execute(self) -> None:
        ping = database_ping()
        if not ping.ok:
            self.run.warnings.append(f"database unavailable, nothing was done: {ping.error}")
            finish_run(self.run, Status.SKIPPED, tally=self.tally)
            return
        if already_in_step(self.run, self.rules, self.tally):  # nothing to write or validate
            finish_run(self.run, Status.SUCCEEDED, tally=self.tally)
            return
        rebuilding = self._cache_health()
        if rebuilding is None:
            return
        for attempt in range(2):
            try:
                self._passes(rebuilding)
                break
            except _Restart:
                if attempt:
                    raise
                rebuilding = True
            except DatabaseError as exc:
                breaker_record_failure(str(exc))
                raise
        status = Status.PARTIAL if self.tally.failed else Status.SUCCEEDED
        finish_run(self.run, status, tally=self.tally, preview=self.preview, validate=True)

    def _cache_health(self) -> bool | None:
        """True when the cache is (re)built from scratch; None when the run cannot go on."""
        if self.run.dry_run:
            return False
        health = meta.cache_health_check()
        self.run.warnings.extend(health.warnings)
        if not health.ok:
            finish_run(self.run, Status.FAILED, tally=self.tally, error=health.error)
            return None
        return health.quarantined is not None

    def _passes(self, rebuilding: bool) -> None:
        self.cp = checkpoint_start(run=self.run, rules=self.rules, rebuilding=rebuilding)
        if self.cp.after_seq is not None:  # catch up from a stamp: no window pass
            phases: tuple[str, ...] = ()
        else:
            phases = PHASES[Scope(self.run.scope)]
        self._set_totals(phases)
        try:
            with self.applier.holding():
                start = phases.index(self.cp.phase) if self.cp.phase in phases else len(phases)
                for phase in phases[start:]:
                    self._pass(phase)
                    self.cp = self.cp.entering(self._next(phases, phase))
            self._save()  # the hold ended with a durable commit
            self._finish_passes()
        except CacheCorrupted as exc:
            if self.run.dry_run:  # a dry run reports the damage; it moves nothing
                raise
            aside = meta.cache_quarantine_now(str(exc))
            self.run.warnings.append(f"cache damaged mid-run ({exc}); moved to {aside}, rebuilt")
            raise _Restart from exc

    @staticmethod
    def _next(phases: tuple[str, ...], phase: str) -> str:
        i = phases.index(phase)
        return phases[i + 1] if i + 1 < len(phases) else RECONCILE

    # --- totals and saves ---------------------------------------------------------------

    def _set_totals(self, phases: tuple[str, ...]) -> None:
        live = Episode.objects.filter(deleted_at__isnull=True)
        counts = {
            EPISODES: lambda: min(window_size(), live.count()),
            PATTERNS: Pattern.objects.count,
            HEURISTICS: Heuristic.objects.count,
        }
        totals = {phase: int(counts[phase]()) for phase in phases}
        done = 0
        for phase in phases:
            if phase == self.cp.phase:
                done += self.cp.seen
                break
            done += totals[phase]
        else:
            done = sum(totals.values()) if self.cp.phase == RECONCILE else 0
        self.run.progress_total, self.run.progress_done = sum(totals.values()), done
        self._save()

    def _save(self) -> None:
        run = self.run
        run.checkpoint = self.cp.to_json()
        run.heartbeat_at = timezone.now()
        for name in ("new", "modified", "unchanged", "evicted", "removed", "failed", "excluded"):
            setattr(run, f"{name}_count", getattr(self.tally, name))
        run.bytes_written = self.tally.bytes_written
        run.save(
            update_fields=[
                *("checkpoint", "heartbeat_at", "progress_done", "progress_total", "warnings"),
                *(f"{n}_count" for n in ("new", "modified", "unchanged", "evicted", "removed")),
                *("failed_count", "excluded_count", "bytes_written"),
            ]
        )
        if self.on_progress:
            self.on_progress(run)

    # --- the window pass -------------------------------------------------------------------

    def _pass(self, phase: str) -> None:
        size = self.run.batch_size
        while True:
            if phase == EPISODES:
                size = min(self.run.batch_size, window_size() - self.cp.seen)
                if size <= 0:
                    return
                after = self.cp.episode_cursor
                page = episode_window_page(after=after, size=size, rules=self.rules)
            else:
                page = record_page(phase, after=self.cp.record_cursor, size=size, rules=self.rules)
            if not page:
                return
            last = page[-1].obj
            cursor = encode_cursor(last) if phase == EPISODES else int(last.pk)
            self.cp = self.cp.advanced(cursor=cursor, rows=len(page))
            refs = [r for r in page if r.table in self.tables] + self._embeddings(phase, page)
            self.applier.apply(refs, metadata={meta.CHECKPOINT: self.cp.to_json()})
            self.run.progress_done += len(page)
            # The row gets the checkpoint only once the cache holds it durably.
            if self.applier.breathe() or self.run.dry_run:
                self._save()
            elif self.on_progress:
                self.on_progress(self.run)
            if len(page) < size:
                return

    def _embeddings(self, phase: str, page: list[Ref]) -> list[Ref]:
        if EMBEDDINGS not in self.tables or phase == HEURISTICS:
            return []
        kind = OwnerKind.EPISODE if phase == EPISODES else OwnerKind.PATTERN
        refs = embedding_refs_for(kind, [r.key for r in page if not r.excluded])
        excluded = embedding_refs_for(kind, [r.key for r in page if r.excluded])
        for ref in excluded:
            ref.excluded = True
        return refs + excluded

    # --- after the pass: catch up, reconcile, stamp --------------------------------------

    def _finish_passes(self) -> None:
        self.cp = replace(self.cp, phase=RECONCILE)
        self._save()
        rules = self.rules
        full = self.run.scope == Scope.ALL
        if self.run.trigger == Trigger.WRITE_BEHIND:
            rules = ExcludeRules.parse(meta.meta_get(meta.EXCLUDE) or [])
            self.run.exclude = list(rules.rules)
        upto = current_change_seq()
        wanted = Wanted.compute(self.tables, rules)
        with self.applier.holding():
            if not self.run.dry_run:
                catch_up(
                    self.applier,
                    tables=self.tables,
                    wanted=wanted,
                    rules=rules,
                    after_seq=self.cp.catch_up_from,
                    upto_seq=upto,
                    batch_size=self.run.batch_size,
                )
            reconcile(
                self.applier,
                tables=self.tables,
                wanted=wanted,
                rules=rules,
                batch_size=self.run.batch_size,
                add_missing=not self.run.dry_run,
            )
        self.cp = replace(self.cp, phase=DONE, upto_seq=upto)
        if self.cp.from_stamp:
            count_untouched(self.tally, self.tables)
        if not self.run.dry_run:
            stamp: dict[str, Any] = {meta.CHECKPOINT: self.cp.to_json(), meta.LAST_RUN: self.run.pk}
            if full:  # only a run over every table may claim "everything up to upto_seq"
                stamp.update({meta.APPLIED_SEQ: upto, meta.SYNCED_AT: time.time()})
                stamp[meta.WINDOW] = window_size()
                stamp[meta.EXCLUDE] = list(rules.rules)
            meta.meta_write(stamp)
        self._save()
