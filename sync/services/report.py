"""Ending a run: counts, timings, the report (synced, skipped and why, failed with
remediation, next recommended sync) and, for real runs, the validation."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError
from django.utils import timezone

from hotcache.cache import cache_path
from sync.models import FailedItem, SyncRun
from sync.models.runs import Status, Trigger
from sync.services.apply import Preview, Tally
from sync.services.breaker import breaker_state
from sync.services.validation import sync_verify

log = logging.getLogger(__name__)

PERIODIC_MINUTES = 5  # keep in step with setup_schedules
FAILURES_SHOWN = 50


def _next_sync(run: SyncRun, validation: dict[str, Any] | None) -> dict[str, Any]:
    now = timezone.now()
    if run.status == Status.SKIPPED:
        retry_at = breaker_state().retry_at
        at = datetime.fromtimestamp(retry_at, tz=now.tzinfo) if retry_at else now
        return {"at": at.isoformat(), "why": "the database was unavailable (backoff)"}
    if run.status == Status.FAILED:
        return {"at": (now + timedelta(minutes=1)).isoformat(), "why": "resume the failed run"}
    if validation is not None and not validation["passed"]:
        return {"at": now.isoformat(), "why": "validation failed", "force_full": True}
    if run.status == Status.PARTIAL:
        due = (
            FailedItem.objects.filter(run=run, state="pending")
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        return {"at": (due or now).isoformat(), "why": "retry the failed items"}
    return {"at": (now + timedelta(minutes=PERIODIC_MINUTES)).isoformat(), "why": "periodic"}


def _failures(run: SyncRun) -> list[dict[str, Any]]:
    if run.pk is None:
        return []
    rows = FailedItem.objects.filter(run=run).order_by("pk")[:FAILURES_SHOWN]
    return [
        {
            "id": f.pk,
            "kind": f.kind,
            "key": f.key,
            "error": f"{f.error_class}: {f.error_message}",
            "remediation": f.remediation,
            "attempts": f.attempts,
            "state": f.state,
            "next_attempt_at": f.next_attempt_at.isoformat() if f.next_attempt_at else None,
        }
        for f in rows
    ]


def build_report(
    run: SyncRun, tally: Tally, validation: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "status": run.status,
        "synced": {"new": tally.new, "modified": tally.modified, "bytes": tally.bytes_written},
        "skipped": {
            "unchanged": tally.unchanged,
            "unchanged_why": "content hash equal to the cache's registry",
            "excluded": tally.excluded,
            "excluded_rules": run.exclude,
        },
        "removed": {"evicted_beyond_limit": tally.evicted, "source_deleted": tally.removed},
        "failed": _failures(run),
        "by_table": tally.by_table,
        "resumed_from": run.resumed_from_id,
        "duration_seconds": run.duration_seconds,
        "items_per_second": run.items_per_second,
        "validation": validation,
        "warnings": run.warnings,
        "error": run.error,
        "next_recommended_sync": _next_sync(run, validation),
    }


def _preview(preview: Preview, tally: Tally) -> dict[str, Any]:
    path = cache_path()
    return {
        "entries": preview.entries,
        "estimate": {
            "bytes_to_write": preview.bytes_to_write,
            "entries_added": tally.new,
            "entries_rewritten": tally.modified,
            "entries_removed": tally.evicted + tally.removed,
            "current_file_bytes": path.stat().st_size if path.exists() else 0,
        },
    }


def _validate(run: SyncRun) -> dict[str, Any] | None:
    try:
        report = sync_verify(full=False, run_id=run.pk)
    except Exception as exc:  # validation must not turn a good run into a failed one
        log.exception("validation after run %s failed to run", run.pk)
        run.warnings.append(f"validation could not run: {exc}")
        return None
    failed = [c.name for c in report.checks.all() if not c.passed]
    if failed:
        run.warnings.append(f"validation failed: {', '.join(failed)}")
    return {"id": report.pk, "passed": report.passed, "failed_checks": failed}


def finish_run(
    run: SyncRun,
    status: str,
    *,
    tally: Tally | None = None,
    preview: Preview | None = None,
    error: str = "",
    validate: bool = False,
) -> SyncRun:
    """Record how the run ended; best effort when the database itself is failing."""
    tally = tally or Tally()
    run.status = status
    run.error = error or run.error
    run.finished_at = timezone.now()
    for name in ("new", "modified", "unchanged", "evicted", "removed", "failed", "excluded"):
        setattr(run, f"{name}_count", getattr(tally, name))
    run.bytes_written = tally.bytes_written
    seconds = run.duration_seconds
    items = tally.new + tally.modified + tally.unchanged + tally.excluded
    run.items_per_second = round(items / seconds, 1) if seconds else None
    if preview is not None:
        run.preview = _preview(preview, tally)
    validation = None
    if validate and not run.dry_run and run.trigger != Trigger.WRITE_BEHIND:
        validation = _validate(run)
    run.report = build_report(run, tally, validation)
    try:
        run.save()
    except DatabaseError:
        log.exception("could not record the end of sync run %s", run.pk)
    level = logging.WARNING if run.status in (Status.SKIPPED, Status.FAILED) else logging.INFO
    log.log(level, "sync run %s %s: %s", run.pk, run.status, "; ".join(run.warnings) or "ok")
    return run
