"""Starting, claiming and finishing runs: the one-run-per-cache-file guard.

The guard is the partial unique index ``sync_one_active_run_per_cache`` (at
most one queued or running row per cache file). ``sync_run_start`` looks for
the active run inside ``transaction.atomic`` (BEGIN IMMEDIATE on our backend,
so two starters serialise); the index is the backstop if they still race.

A run whose process died (kill -9, OOM, a lost worker) would hold the slot
forever, so a running run is *abandoned* when its owner process is gone
(same host), or when its heartbeat (refreshed every batch) is older than
SYNC_RUN_LEASE_SECONDS. The next start marks it failed ("interrupted") and
the new run resumes from its checkpoint.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from hotcache.cache import cache_path
from memoryadmin.audit.services import audit_record
from memoryadmin.exceptions import ApplicationError
from sync.models import SyncRun
from sync.models.runs import ACTIVE, Scope, Status, Trigger
from sync.services.breaker import (
    breaker_allow,
    breaker_record_failure,
    breaker_record_success,
    breaker_state,
)
from sync.services.checkpoint import Checkpoint
from sync.services.rules import ExcludeRules

EXECUTING: set[int] = set()  # runs executing in this process right now
BATCH_MAX = 10_000


def cache_key(path: Path | None = None) -> str:
    return str((path or cache_path()).resolve())


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is gone for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def abandoned_reason(run: SyncRun) -> str | None:
    """Why an active run no longer runs, or None if it may still be running."""
    now = timezone.now()
    if run.status == Status.QUEUED:
        limit = float(getattr(settings, "SYNC_QUEUE_LEASE_SECONDS", 900))
        if now - run.queued_at > timedelta(seconds=limit):
            return f"queued for more than {limit:.0f}s and never picked up"
        return None
    host, _, pid_text = run.owner.rpartition(":")
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid() and run.pk not in EXECUTING:
            return "no longer executing in its process"
        if pid != os.getpid() and not _pid_alive(pid):
            return f"process {pid} is gone"
    lease = float(getattr(settings, "SYNC_RUN_LEASE_SECONDS", 300))
    beat = run.heartbeat_at or run.started_at or run.queued_at
    if now - beat > timedelta(seconds=lease):
        return f"no heartbeat for more than {lease:.0f}s"
    return None


def active_run(*, path: Path | None = None) -> SyncRun | None:
    """The run that holds the cache file's slot and is really running (or queued)."""
    run = SyncRun.objects.filter(cache_key=cache_key(path), status__in=ACTIVE).first()
    return run if run is not None and abandoned_reason(run) is None else None


def _resumable(key: str, scope: str, force_full: bool, exclude: list[str]) -> SyncRun | None:
    last = (
        SyncRun.objects.filter(cache_key=key, dry_run=False)
        .exclude(trigger=Trigger.WRITE_BEHIND)
        .exclude(status=Status.SKIPPED)
        .order_by("-queued_at", "-pk")
        .first()
    )
    if (
        last is not None
        and last.status == Status.FAILED
        and not Checkpoint.from_json(last.checkpoint).is_empty
        and (last.scope, last.force_full, sorted(last.exclude)) == (scope, force_full, exclude)
    ):
        return last
    return None


def _skipped(reason: str, **fields: Any) -> SyncRun:
    """An unsaved run telling the caller the database could not be reached."""
    state = breaker_state()
    run = SyncRun(cache_key=cache_key(), status=Status.SKIPPED, **fields)
    run.finished_at = timezone.now()
    run.warnings = [f"database unavailable, nothing was done: {reason}"]
    run.report = {"skipped": reason, "breaker": state.as_dict(), "retry_at": state.retry_at}
    return run


def _choice(name: str, value: str, choices: Any) -> str:
    if value not in choices.values:
        raise ApplicationError(
            f"{name} must be one of {', '.join(choices.values)}", extra={"field": name}
        )
    return value


def sync_run_start(
    *,
    scope: str = Scope.ALL,
    dry_run: bool = False,
    force_full: bool = False,
    tags: Sequence[str] = (),
    exclude: Sequence[str] = (),
    trigger: str = Trigger.MANUAL,
    user: Any = None,
    batch_size: int = 100,
) -> SyncRun:
    """Queue a run, or return the one already active for this cache file.

    When the database is unreachable (or the circuit breaker is open) the
    returned run is *unsaved* (``pk is None``) with status ``skipped`` and a
    warning; the breaker's ``retry_at`` says when the next attempt may go.
    """
    fields = {
        "scope": _choice("scope", scope, Scope),
        "trigger": _choice("trigger", trigger, Trigger),
        "dry_run": bool(dry_run),
        "force_full": bool(force_full),
        "tags": sorted({str(t).strip().lower() for t in tags if str(t).strip()}),
        "exclude": list(ExcludeRules.parse(exclude).rules),
        "batch_size": batch_size,
    }
    if not 1 <= batch_size <= BATCH_MAX:
        raise ApplicationError(
            f"batch_size must be between 1 and {BATCH_MAX}", extra={"field": "batch_size"}
        )
    if not breaker_allow():
        return _skipped(f"circuit breaker open ({breaker_state().last_error})", **fields)
    triggered_by = user if user is not None and user.is_authenticated else None
    try:
        run = _start(fields, triggered_by)
    except DatabaseError as exc:
        breaker_record_failure(str(exc))
        return _skipped(str(exc), **fields)
    breaker_record_success()
    return run


@transaction.atomic
def _start(fields: dict[str, Any], user: Any) -> SyncRun:
    key = cache_key()
    current = SyncRun.objects.filter(cache_key=key, status__in=ACTIVE).first()
    if current is not None:
        reason = abandoned_reason(current)
        if reason is None:
            return current
        _finish_fields(current, Status.FAILED, error=f"interrupted: {reason}")
    resume = None
    if not fields["dry_run"] and fields["trigger"] != Trigger.WRITE_BEHIND:
        resume = _resumable(key, fields["scope"], fields["force_full"], fields["exclude"])
    run = SyncRun(cache_key=key, triggered_by=user, resumed_from=resume, **fields)
    if resume is not None:  # stored as read: the engine decides how far it can be trusted
        run.checkpoint = resume.checkpoint
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:  # lost a race with another starter: its run is the one
        return SyncRun.objects.get(cache_key=key, status__in=ACTIVE)
    if run.trigger == Trigger.MANUAL:
        audit_record(
            action="sync.trigger",
            target=f"run #{run.pk}",
            details={k: fields[k] for k in ("scope", "dry_run", "force_full", "tags", "exclude")},
            user=user,
        )
    return run


def _finish_fields(run: SyncRun, status: str, *, error: str = "") -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.error = error or run.error
    run.save(update_fields=["status", "finished_at", "error"])


def claim_run(run_id: int) -> SyncRun | None:
    """Take a queued run for this process; None if another process has it (or it is done)."""
    now = timezone.now()
    claimed = SyncRun.objects.filter(pk=run_id, status=Status.QUEUED).update(
        status=Status.RUNNING, owner=owner_id(), started_at=now, heartbeat_at=now
    )
    if not claimed:
        return None
    EXECUTING.add(run_id)
    return SyncRun.objects.get(pk=run_id)


def release_run(run_id: int) -> None:
    EXECUTING.discard(run_id)
