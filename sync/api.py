"""The sync engine's JSON API: runs, validation, the retry queue, freshness.

Thin: parse (schemas), check the scope, call one service or selector, shape
the reply. Scopes: reads need ``read``; starting runs, verifying and
retrying an item need ``sync``; dismissing an item needs ``admin``, because
it throws away the only record that an item is missing from the cache
(a retry only does early what the retry queue does anyway).
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Header, Path, Query, Router

from memoryadmin.apikeys.auth import Caller, caller_of, scoped
from memoryadmin.apikeys.errors import error_responses as errors
from memoryadmin.apikeys.idempotency import Result, idempotent
from memoryadmin.apikeys.models import Scope
from memoryadmin.exceptions import NotFound, ServiceUnavailable
from sync.models import SyncRun
from sync.models.runs import Trigger
from sync.schemas import (
    FailedItemFiltersIn,
    FailedItemOut,
    FreshnessOut,
    SyncRunDetailOut,
    SyncRunFiltersIn,
    SyncRunIn,
    SyncRunOut,
    SyncRunStartedOut,
    ValidationFiltersIn,
    ValidationReportOut,
    VerifyIn,
)
from sync.selectors import (
    FailedItemFilters,
    SyncRunFilters,
    cache_freshness,
    failed_item_list,
    sync_run_active,
    sync_run_get,
    sync_run_list,
    validation_latest,
)
from sync.services import (
    failed_item_dismiss,
    failed_item_retry,
    sync_enqueue,
    sync_run_start,
    sync_verify,
)
from sync.services.breaker import breaker_state
from sync.services.triggers import stale_after_seconds

router = Router(tags=["sync"])
READ, SYNC, ADMIN = scoped(Scope.READ), scoped(Scope.SYNC), scoped(Scope.ADMIN)
IDEMPOTENCY = Header(
    None,
    alias="Idempotency-Key",
    min_length=1,
    max_length=255,
    description="Retry-safe key: the same key returns the first reply for 24 h",
)
RUN_ID = Path(..., ge=1, le=2**62, description="the sync run's id")
ITEM_ID = Path(..., ge=1, le=2**62, description="the failed item's id")


class SyncUnavailable(ServiceUnavailable):
    """A 503 whose ``retry_after`` (seconds) becomes the ``Retry-After`` header."""

    def __init__(self, message: str, *, retry_at: float | None, extra: dict[str, Any]) -> None:
        self.retry_after = max(1, math.ceil(retry_at - time.time())) if retry_at else 1
        super().__init__(message, extra={**extra, "retry_after": self.retry_after})


class _Skipped(Exception):
    """Leaves ``idempotent`` without storing a reply: a retry after recovery starts a run."""

    def __init__(self, run: SyncRun) -> None:
        self.run = run


def _user(caller: Caller) -> AbstractBaseUser | None:
    return caller.user if isinstance(caller.user, AbstractBaseUser) else None


def _note(run: SyncRun, payload: SyncRunIn) -> str:
    asked = (payload.scope, payload.dry_run, payload.force_full)
    if (run.scope, run.dry_run, run.force_full) != asked:
        return (
            f"sync run #{run.pk} ({run.trigger}, scope {run.scope}) is already {run.status} "
            "with other options; nothing was started: try again when it has finished"
        )
    return f"sync run #{run.pk} is already {run.status}; nothing new was started"


@router.post(
    "/sync/runs",
    response={202: SyncRunStartedOut, **errors(400, 503)},
    auth=SYNC,
    summary="Start a sync run (or get the one already running)",
    description=(
        "202 with the queued run, handed to the django-q2 cluster. While a run is queued "
        "or running, that run is returned instead (`existing: true`). 503 with Retry-After "
        "when the database is unreachable or the circuit breaker is open."
    ),
)
def sync_run_start_view(
    request: HttpRequest, payload: SyncRunIn, idempotency_key: str | None = IDEMPOTENCY
) -> HttpResponse:
    caller = caller_of(request)

    def run() -> Result:
        before = sync_run_active()
        started = sync_run_start(
            scope=payload.scope.value,
            dry_run=payload.dry_run,
            force_full=payload.force_full,
            tags=payload.tags,
            exclude=payload.exclude,
            trigger=Trigger.MANUAL,
            user=_user(caller),
            batch_size=payload.batch_size,
        )
        if started.pk is None:
            raise _Skipped(started)
        existing = before is not None and before.pk == started.pk
        note = _note(started, payload) if existing else ""
        if not existing:
            # After the commit: a Redis broker would hand the task to a worker at once,
            # before the run's row (and the idempotency record) is visible.
            transaction.on_commit(lambda: sync_enqueue(started))
        return 202, SyncRunStartedOut.of(started, existing=existing, note=note)

    try:
        return idempotent(request, caller, idempotency_key, run)
    except _Skipped as skipped:
        report = skipped.run.report
        raise SyncUnavailable(
            "; ".join(skipped.run.warnings),
            retry_at=report.get("retry_at"),
            extra={"status": skipped.run.status, "breaker": report.get("breaker", {})},
        ) from None


@router.get(
    "/sync/runs",
    response={200: list[SyncRunOut], **errors()},
    auth=READ,
    summary="List sync runs, newest first",
)
def sync_run_list_view(request: HttpRequest, filters: Query[SyncRunFiltersIn]) -> list[SyncRunOut]:
    runs = sync_run_list(
        filters=SyncRunFilters(
            status=filters.status.value if filters.status else None,
            trigger=filters.trigger.value if filters.trigger else None,
            scope=filters.scope.value if filters.scope else None,
            tag=filters.tag,
            dry_run=filters.dry_run,
        ),
        limit=filters.limit,
        offset=filters.offset,
    )
    return [SyncRunOut.of(run) for run in runs]


@router.get(
    "/sync/runs/{run_id}",
    response={200: SyncRunDetailOut, **errors(404)},
    auth=READ,
    summary="Get one sync run: status, counts, progress and its report",
)
def sync_run_get_view(request: HttpRequest, run_id: int = RUN_ID) -> SyncRunDetailOut:
    return SyncRunDetailOut.of(sync_run_get(run_id=run_id))


@router.get(
    "/sync/validation/latest",
    response={200: ValidationReportOut, **errors(404)},
    auth=READ,
    summary="The newest validation report (of one run, with run_id)",
)
def validation_latest_view(
    request: HttpRequest, filters: Query[ValidationFiltersIn]
) -> ValidationReportOut:
    report = validation_latest(run_id=filters.run_id)
    if report is None:
        where = f"for sync run {filters.run_id}" if filters.run_id else "yet"
        raise NotFound(
            f"no validation report {where}: every sync run ends with one, "
            "or POST /api/v1/sync/verify",
            extra={"run_id": filters.run_id},
        )
    return ValidationReportOut.of(report)


@router.post(
    "/sync/verify",
    response={200: ValidationReportOut, **errors(400, 503)},
    auth=SYNC,
    summary="Verify the cache against the database now (inline)",
    description=(
        "Runs inline and returns the report: a sample of 50 items per table takes about "
        "0.1 s, `full` (every content hash) about 1.2 s per 1000 cached episodes. "
        "503 with Retry-After when the database is unreachable."
    ),
)
def sync_verify_view(request: HttpRequest, payload: VerifyIn) -> ValidationReportOut:
    try:
        report = sync_verify(full=payload.full)
    except ServiceUnavailable as exc:
        state = breaker_state()
        raise SyncUnavailable(
            exc.message, retry_at=state.retry_at, extra={"breaker": state.as_dict()}
        ) from None
    return ValidationReportOut.of(report)


@router.get(
    "/sync/failed",
    response={200: list[FailedItemOut], **errors()},
    auth=READ,
    summary="List the retry queue, newest attempt first",
)
def failed_item_list_view(
    request: HttpRequest, filters: Query[FailedItemFiltersIn]
) -> list[FailedItemOut]:
    caller = caller_of(request)
    items = failed_item_list(
        # A key of one namespace sees its items; callers of all namespaces see the whole
        # queue, items whose source row is gone (of no namespace any more) included.
        namespace_id=None if caller.all_namespaces else caller.namespace_id,
        filters=FailedItemFilters(
            state=filters.state.value if filters.state else None,
            kind=filters.kind.value if filters.kind else None,
            error_class=filters.error_class,
            run_id=filters.run_id,
            open_only=filters.open_only,
        ),
        limit=filters.limit,
        offset=filters.offset,
    )
    return [FailedItemOut.of(item) for item in items]


@router.post(
    "/sync/failed/{item_id}/retry",
    response={200: FailedItemOut, **errors(404, 409)},
    auth=SYNC,
    summary="Retry one failed item now (dead letters included)",
    description="409 when the item is closed or while a sync run is active.",
)
def failed_item_retry_view(request: HttpRequest, item_id: int = ITEM_ID) -> FailedItemOut:
    caller = caller_of(request)
    namespace_id = None if caller.all_namespaces else caller.namespace_id
    item = failed_item_retry(item_id=item_id, namespace_id=namespace_id, user=_user(caller))
    return FailedItemOut.of(item)


@router.post(
    "/sync/failed/{item_id}/dismiss",
    response={200: FailedItemOut, **errors(404, 409)},
    auth=ADMIN,
    summary="Close a failed item without retrying it (admin)",
    description="409 when the item is already closed.",
)
def failed_item_dismiss_view(request: HttpRequest, item_id: int = ITEM_ID) -> FailedItemOut:
    caller = caller_of(request)
    namespace_id = None if caller.all_namespaces else caller.namespace_id
    item = failed_item_dismiss(item_id=item_id, namespace_id=namespace_id, user=_user(caller))
    return FailedItemOut.of(item)


@router.get(
    "/sync/freshness",
    response={200: FreshnessOut, **errors()},
    auth=READ,
    summary="How far the cache lags the database, and the circuit breaker",
)
def cache_freshness_view(request: HttpRequest) -> FreshnessOut:
    return FreshnessOut.of(cache_freshness(), stale_after=stale_after_seconds())
