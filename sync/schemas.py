"""Request and response schemas of the sync API (runs, validation, retry queue, freshness).

Inputs are strict (unknown fields are refused, booleans must be JSON
booleans); outputs mirror ``sync.selectors.sync_run_summary`` and the models,
and stay lenient about the free-form parts (reports, previews, check details).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from annotated_types import Ge, Le
from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool, StringConstraints, WithJsonSchema

from memoryadmin.api_types import JSON_INTEGER
from sync.models import FailedItem, SyncRun, ValidationReport
from sync.models.failures import FailedState, ItemKind
from sync.models.runs import Scope as RunScope
from sync.models.runs import Status, Trigger
from sync.selectors import sync_run_summary

TAGS_MAX, EXCLUDE_MAX = 20, 50


def _inline(choices: Any) -> WithJsonSchema:
    """The enum written inline, not as a component: OpenAPI components are keyed by class
    name, and sync.models.runs.Scope would replace the API keys' own ``Scope``."""
    return WithJsonSchema({"type": "string", "enum": list(choices.values)})


RunScopeField = Annotated[RunScope, _inline(RunScope)]
StatusField = Annotated[Status, _inline(Status)]
TriggerField = Annotated[Trigger, _inline(Trigger)]
StateField = Annotated[FailedState, _inline(FailedState)]
KindField = Annotated[ItemKind, _inline(ItemKind)]
RunTag = Annotated[str, StringConstraints(min_length=1, max_length=60)]
ExcludeRule = Annotated[str, StringConstraints(min_length=1, max_length=120)]
BatchSize = Annotated[int, Ge(1), Le(10_000), JSON_INTEGER]  # sync.services.runs.BATCH_MAX


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


# -- inputs -----------------------------------------------------------------


class SyncRunIn(StrictIn):
    scope: RunScopeField = RunScope.ALL
    dry_run: StrictBool = False
    force_full: StrictBool = Field(False, description="rewrite every item, changed or not")
    tags: list[RunTag] = Field(
        default_factory=list, max_length=TAGS_MAX, description="labels of this run"
    )
    exclude: list[ExcludeRule] = Field(
        default_factory=list,
        max_length=EXCLUDE_MAX,
        description=(
            "keep items out of the cache: 'archived' or <field>:<value> with field one of "
            "task_type, domain, language, framework, verdict, tag, pattern_kind (else 400)"
        ),
    )
    batch_size: BatchSize = 100


class SyncRunFiltersIn(Schema):
    status: StatusField | None = None
    trigger: TriggerField | None = None
    scope: RunScopeField | None = None
    dry_run: bool | None = None
    tag: RunTag | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class VerifyIn(StrictIn):
    full: StrictBool = Field(
        False, description="compare every content hash (else a sample of 50 per table)"
    )


class ValidationFiltersIn(Schema):
    run_id: int | None = Field(None, ge=1, le=2**62, description="the report of this run")


class FailedItemFiltersIn(Schema):
    state: StateField | None = None
    kind: KindField | None = None
    error_class: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None
    run_id: int | None = Field(None, ge=1, le=2**62)
    open_only: bool = Field(False, description="pending, retrying and dead_letter only")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


# -- outputs ----------------------------------------------------------------


class RunCountsOut(Schema):
    new: int
    modified: int
    unchanged: int
    evicted: int = Field(description="dropped beyond MAX_EPISODES_CACHE")
    removed: int = Field(description="the source row was deleted")
    failed: int = Field(description="sent to the retry queue")
    excluded: int = Field(description="kept out by an exclude rule")
    skipped: int = Field(description="the same as excluded (the issue's name for it)")


class ProgressOut(Schema):
    done: int
    total: int


class SyncRunOut(Schema):
    """A run as listed: everything but the report and the dry run's preview."""

    id: int
    status: StatusField
    trigger: TriggerField
    scope: RunScopeField
    dry_run: bool
    force_full: bool
    batch_size: int
    tags: list[str]
    exclude: list[str]
    counts: RunCountsOut
    bytes_written: int
    progress: ProgressOut
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    items_per_second: float | None
    resumed_from: int | None
    triggered_by: str | None = Field(description="the user, for runs started from a session")
    error: str
    warnings: list[str]

    @classmethod
    def of(cls, run: SyncRun, **extra: Any) -> Self:
        """From ``sync_run_summary`` (the commands' --json) plus the API's extra fields."""
        data = sync_run_summary(run)
        data["counts"]["skipped"] = data["counts"]["excluded"]
        user = run.triggered_by
        return cls.model_validate(
            {
                **data,
                "batch_size": run.batch_size,
                "duration_seconds": run.duration_seconds,
                "triggered_by": user.get_username() if user is not None else None,
                **extra,
            }
        )


class SyncRunDetailOut(SyncRunOut):
    report: dict[str, Any] = Field(
        description="synced, skipped and why, removed, failed with remediation, validation, "
        "next_recommended_sync (empty until the run ends)"
    )
    preview: dict[str, Any] = Field(description="a dry run's diff and size estimate")


class SyncRunStartedOut(SyncRunDetailOut):
    existing: bool = Field(
        description="true: a run was already queued or running; it is returned and "
        "nothing new was started"
    )
    note: str = ""


class ValidationCheckOut(Schema):
    name: str
    passed: bool
    details: dict[str, Any]


class ValidationReportOut(Schema):
    id: int
    run_id: int | None = Field(description="null for an on-demand verification")
    passed: bool
    full: bool
    sample_size: int
    created_at: datetime
    duration_ms: float
    summary: str
    checks: list[ValidationCheckOut]

    @classmethod
    def of(cls, report: ValidationReport) -> ValidationReportOut:
        checks = [
            ValidationCheckOut(name=c.name, passed=c.passed, details=c.details)
            for c in report.checks.all()
        ]
        return cls(
            id=report.pk,
            run_id=report.run_id,
            passed=report.passed,
            full=report.full,
            sample_size=report.sample_size,
            created_at=report.created_at,
            duration_ms=report.duration_ms,
            summary=report.summary,
            checks=checks,
        )


class FailedItemOut(Schema):
    id: int
    kind: KindField
    key: str
    state: StateField
    error_class: str
    error_message: str
    remediation: str
    attempts: int
    content_hash: str
    next_attempt_at: datetime | None
    run_id: int | None
    created_at: datetime
    last_attempt_at: datetime
    closed_at: datetime | None
    retried_by: str | None
    dismissed_by: str | None

    @classmethod
    def of(cls, item: FailedItem) -> FailedItemOut:
        return cls(
            id=item.pk,
            kind=ItemKind(item.kind),
            key=item.key,
            state=FailedState(item.state),
            error_class=item.error_class,
            error_message=item.error_message,
            remediation=item.remediation,
            attempts=item.attempts,
            content_hash=item.content_hash,
            next_attempt_at=item.next_attempt_at,
            run_id=item.run_id,
            created_at=item.created_at,
            last_attempt_at=item.last_attempt_at,
            closed_at=item.closed_at,
            retried_by=_username(item.retried_by),
            dismissed_by=_username(item.dismissed_by),
        )


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


class BreakerOut(Schema):
    state: str = Field(description="closed | open | half_open")
    failures: int
    successes: int
    trips: int
    opened_at: float | None
    retry_at: float | None = Field(description="no database attempt before (epoch seconds)")
    last_error: str
    updated_at: float


class LastGoodRunOut(Schema):
    id: int
    finished_at: datetime | None


class FreshnessOut(Schema):
    cache_status: str = Field(description="hit, or why the cache's marker could not be read")
    synced_at: float | None = Field(description="epoch seconds the cache was last in step")
    applied_seq: int | None
    current_seq: int
    pending_changes: int | None
    lag_seconds: float | None = Field(description="0 when in step; null when never synced")
    in_step: bool
    stale: bool = Field(description="lag unknown or above stale_after_seconds")
    stale_after_seconds: float
    last_good_run: LastGoodRunOut | None
    breaker: BreakerOut

    @classmethod
    def of(cls, freshness: dict[str, Any], *, stale_after: float) -> FreshnessOut:
        """From ``cache_freshness()``; ``stale`` uses the same rule as the stale-read trigger."""
        last = freshness["last_good_run"]
        lag = freshness["lag_seconds"]
        return cls.model_validate(
            {
                **freshness,
                "last_good_run": {"id": last["pk"], "finished_at": last["finished_at"]}
                if last
                else None,
                "stale": lag is None or lag > stale_after,
                "stale_after_seconds": stale_after,
            }
        )
