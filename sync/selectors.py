"""Reads of the sync app: runs, validation reports, the retry queue, freshness."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from episodes.changes import current_change_seq
from memoryadmin.exceptions import NotFound
from sync.models import FailedItem, SyncRun, ValidationReport
from sync.models.runs import Status, Trigger
from sync.services.breaker import breaker_state
from sync.services.failures import failed_items_in_namespace
from sync.services.meta import APPLIED_SEQ, SYNCED_AT, meta_read
from sync.services.runs import active_run, cache_key

PAGE_MAX = 200


def sync_run_get(*, run_id: int) -> SyncRun:
    try:
        return SyncRun.objects.select_related("triggered_by", "resumed_from").get(pk=run_id)
    except SyncRun.DoesNotExist:
        raise NotFound(f"sync run {run_id} does not exist", extra={"field": "run_id"}) from None


@dataclass(frozen=True)
class SyncRunFilters:
    status: str | None = None
    trigger: str | None = None
    scope: str | None = None
    tag: str | None = None
    dry_run: bool | None = None


def sync_run_list(
    *, filters: SyncRunFilters | None = None, limit: int = 50, offset: int = 0
) -> list[SyncRun]:
    """Runs newest first (write-behind runs included unless filtered by trigger)."""
    filters = filters or SyncRunFilters()
    qs: QuerySet[SyncRun] = SyncRun.objects.all()
    for name in ("status", "trigger", "scope", "dry_run"):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{name: value})
    if filters.tag:
        # JSON text match: SQLite has no JSON "contains"; tags are stored lower-case.
        qs = qs.filter(tags__icontains=json.dumps(filters.tag.strip().lower()))
    limit = max(1, min(limit, PAGE_MAX))
    return list(qs.order_by("-queued_at", "-pk")[offset : offset + limit])


def sync_run_active() -> SyncRun | None:
    return active_run()


def validation_latest(*, run_id: int | None = None) -> ValidationReport | None:
    """The newest validation report (of one run, when given), with its checks."""
    qs = ValidationReport.objects.prefetch_related("checks").order_by("-created_at", "-pk")
    if run_id is not None:
        qs = qs.filter(run_id=run_id)
    return qs.first()


@dataclass(frozen=True)
class FailedItemFilters:
    state: str | None = None
    kind: str | None = None
    run_id: int | None = None
    open_only: bool = False
    error_class: str | None = None


def failed_item_list(
    *,
    namespace_id: int | None,
    filters: FailedItemFilters | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[FailedItem]:
    """Failed items of one namespace (None: of all, for the deployment's own views)."""
    filters = filters or FailedItemFilters()
    qs = FailedItem.objects.all()
    if namespace_id is not None:
        qs = qs.filter(failed_items_in_namespace(namespace_id))
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.open_only:
        qs = qs.filter(state__in=["pending", "retrying", "dead_letter"])
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.run_id is not None:
        qs = qs.filter(run_id=filters.run_id)
    if filters.error_class:
        qs = qs.filter(error_class=filters.error_class)
    limit = max(1, min(limit, PAGE_MAX))
    return list(qs.order_by("-last_attempt_at", "-pk")[offset : offset + limit])


def failed_item_counts() -> dict[str, int]:
    rows = FailedItem.objects.values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}


def cache_freshness() -> dict[str, Any]:
    """How far behind the database the cache is.

    ``lag_seconds`` is 0 when every change marker is applied, else the time
    since the cache was last brought in step (``synced_at``), or None when it
    never was. ``pending_changes`` counts markers handed out since then (an
    upper bound on changed rows).
    """
    applied = meta_read(APPLIED_SEQ)
    synced = meta_read(SYNCED_AT)
    current = current_change_seq()
    last_good = (
        SyncRun.objects.filter(cache_key=cache_key(), status__in=[Status.SUCCEEDED, Status.PARTIAL])
        .exclude(trigger=Trigger.WRITE_BEHIND)
        .order_by("-finished_at")
        .values("pk", "finished_at")
        .first()
    )
    synced_at = synced.value if synced.status == "hit" else None
    applied_seq = applied.value if applied.status == "hit" else None
    in_step = applied_seq is not None and int(applied_seq) >= current
    if in_step:
        lag: float | None = 0.0
    elif synced_at is not None:
        lag = round(time.time() - float(synced_at), 1)
    else:
        lag = None
    return {
        "cache_status": applied.status,
        "synced_at": synced_at,
        "applied_seq": applied_seq,
        "current_seq": current,
        "pending_changes": None if applied_seq is None else max(current - int(applied_seq), 0),
        "lag_seconds": lag,
        "in_step": in_step,
        "last_good_run": last_good,
        "breaker": breaker_state().as_dict(),
    }


def sync_run_summary(run: SyncRun) -> dict[str, Any]:
    """A run as plain JSON (commands' --json, the API)."""
    return {
        "id": run.pk,
        "status": run.status,
        "trigger": run.trigger,
        "scope": run.scope,
        "dry_run": run.dry_run,
        "force_full": run.force_full,
        "tags": run.tags,
        "exclude": run.exclude,
        "counts": {
            "new": run.new_count,
            "modified": run.modified_count,
            "unchanged": run.unchanged_count,
            "evicted": run.evicted_count,
            "removed": run.removed_count,
            "failed": run.failed_count,
            "excluded": run.excluded_count,
        },
        "bytes_written": run.bytes_written,
        "progress": {"done": run.progress_done, "total": run.progress_total},
        "queued_at": run.queued_at.isoformat() if run.queued_at else None,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "items_per_second": run.items_per_second,
        "resumed_from": run.resumed_from_id,
        "error": run.error,
        "warnings": run.warnings,
        "report": run.report,
        "preview": run.preview,
    }


def sync_run_counts() -> dict[str, int]:
    """Runs by status, e.g. {"succeeded": n, "failed": m} (the metrics endpoint reads it)."""
    rows = SyncRun.objects.values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def circuit_breaker_state() -> str:
    """closed | open | half_open: the database circuit breaker, from its file."""
    return breaker_state().state


def failed_item_groups(*, open_only: bool = True) -> list[dict[str, Any]]:
    """Open items grouped by error class: the retry queue's summary."""
    qs = FailedItem.objects.all()
    if open_only:
        qs = qs.filter(state__in=["pending", "retrying", "dead_letter"])
    rows = qs.values("error_class").annotate(n=Count("pk")).order_by("-n", "error_class")
    return [{"error_class": r["error_class"], "n": r["n"]} for r in rows]
