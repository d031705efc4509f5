"""The retry queue: record failed items, back off, retry, dead-letter, dismiss.

An item that fails again counts into its one open record (see the model's
constraint). Delays grow exponentially with "equal jitter" (half fixed,
half random) so many failed items do not retry in lockstep; after
SYNC_RETRY_MAX_ATTEMPTS the record becomes a dead letter for an operator.
A later run that writes the item resolves the record.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from memoryadmin.audit.services import audit_record
from memoryadmin.exceptions import Conflict, NotFound
from sync.models import FailedItem
from sync.models.failures import OPEN_STATES, FailedState

STUCK = timedelta(minutes=10)


def max_attempts() -> int:
    return int(getattr(settings, "SYNC_RETRY_MAX_ATTEMPTS", 5))


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failures (jittered)."""
    base = float(getattr(settings, "SYNC_RETRY_BASE_SECONDS", 30))
    cap = float(getattr(settings, "SYNC_RETRY_MAX_SECONDS", 3600))
    delay = min(base * 2 ** max(attempts - 1, 0), cap)
    return delay / 2 + random.uniform(0, delay / 2)


def _remediation(error: BaseException) -> str:
    hint = getattr(error, "remediation", "")
    if hint:
        return str(hint)
    if isinstance(error, TypeError | ValueError):
        return "the payload cannot be serialised to JSON: fix the offending field, then retry"
    return "see the error message; the item is retried automatically with backoff"


def _user(user: AbstractBaseUser | None) -> Any:
    return user if user is not None and user.is_authenticated else None


@transaction.atomic
def failed_item_record(
    *, kind: str, key: str, content_hash: str, error: BaseException, run: Any = None
) -> FailedItem:
    """Queue a failed item for retry, or count another failure into its open record."""
    now = timezone.now()
    item = FailedItem.objects.filter(kind=kind, key=key, state__in=OPEN_STATES).first()
    if item is None:
        item = FailedItem(kind=kind, key=key, attempts=0, created_at=now)
    item.attempts += 1
    item.content_hash = content_hash
    item.error_class = type(error).__name__
    item.error_message = str(error)[:4000]
    item.remediation = _remediation(error)
    item.last_attempt_at = now
    item.run = run if getattr(run, "pk", None) else item.run
    if item.attempts >= max_attempts():
        item.state, item.next_attempt_at = FailedState.DEAD_LETTER, None
    else:
        item.state = FailedState.PENDING
        item.next_attempt_at = now + timedelta(seconds=retry_delay(item.attempts))
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:  # another process opened the record first: count into it
        return failed_item_record(kind=kind, key=key, content_hash=content_hash, error=error)
    return item


def failed_items_open() -> bool:
    """Whether any failed item is still open (pending or given up), of any kind."""
    return FailedItem.objects.filter(state__in=OPEN_STATES).exists()


def failed_items_resolve(*, kind: str, keys: Sequence[str]) -> int:
    """Close open records of items that were just written (read first: no idle write lock)."""
    open_ids = list(
        FailedItem.objects.filter(kind=kind, key__in=list(keys), state__in=OPEN_STATES).values_list(
            "pk", flat=True
        )
    )
    if not open_ids:
        return 0
    return FailedItem.objects.filter(pk__in=open_ids, state__in=OPEN_STATES).update(
        state=FailedState.RESOLVED, closed_at=timezone.now(), next_attempt_at=None
    )


def _get(item_id: int) -> FailedItem:
    try:
        return FailedItem.objects.get(pk=item_id)
    except FailedItem.DoesNotExist:
        raise NotFound(
            f"failed item {item_id} does not exist", extra={"field": "item_id"}
        ) from None


def _attempt(item: FailedItem) -> FailedItem:
    """Try the item again now; returns the refreshed record."""
    from sync.services.single import item_sync

    FailedItem.objects.filter(pk=item.pk).update(
        state=FailedState.RETRYING, last_attempt_at=timezone.now()
    )
    try:
        outcome = item_sync(kind=item.kind, key=item.key)
    except Exception as exc:  # the cache or database failed, not the item: count it anyway
        return failed_item_record(
            kind=item.kind, key=item.key, content_hash=item.content_hash, error=exc
        )
    item.refresh_from_db()
    if item.state == FailedState.RETRYING:  # neither resolved nor failed again: gone at source
        item.state, item.closed_at = FailedState.RESOLVED, timezone.now()
        item.error_message = f"{item.error_message}\n(resolved: {outcome})"
        item.save(update_fields=["state", "closed_at", "error_message"])
    return item


def failed_item_retry(*, item_id: int, user: Any = None) -> FailedItem:
    """Retry one item now, whatever its schedule (dead letters included)."""
    from sync.services.runs import active_run

    item = _get(item_id)
    if item.state not in OPEN_STATES:
        raise Conflict(
            f"failed item {item_id} is {item.state}; only open items can be retried",
            extra={"field": "item_id", "state": item.state},
        )
    if active_run() is not None:
        raise Conflict(
            "a sync run is in progress; it retries this item itself",
            extra={"field": "item_id"},
        )
    FailedItem.objects.filter(pk=item.pk).update(retried_by=_user(user))
    audit_record(
        action="failed.retry",
        target=f"{item.kind} {item.key}",
        user=user,
        details={"item_id": item.pk, "attempts": item.attempts},
    )
    return _attempt(item)


@transaction.atomic
def failed_item_dismiss(*, item_id: int, user: Any = None) -> FailedItem:
    """Close an open record without retrying it (kept with who and when)."""
    item = _get(item_id)
    if item.state not in OPEN_STATES:
        raise Conflict(
            f"failed item {item_id} is already {item.state}",
            extra={"field": "item_id", "state": item.state},
        )
    item.state, item.closed_at, item.next_attempt_at = FailedState.DISMISSED, timezone.now(), None
    item.dismissed_by = _user(user)
    item.save(update_fields=["state", "closed_at", "next_attempt_at", "dismissed_by"])
    audit_record(
        action="failed.dismiss",
        target=f"{item.kind} {item.key}",
        user=user,
        details={"item_id": item.pk, "error_class": item.error_class},
    )
    return item


def failed_items_retry_due(*, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Retry every pending item whose time has come; the drain task's service."""
    from sync.services.runs import active_run

    if active_run() is not None:
        return {"due": 0, "resolved": 0, "failed": 0, "dead_letter": 0, "deferred": 1}
    now = now or timezone.now()
    # A "retrying" record whose process died mid-attempt is due again after STUCK.
    stuck = Q(state=FailedState.RETRYING, last_attempt_at__lt=now - STUCK)
    due_q = Q(state=FailedState.PENDING, next_attempt_at__lte=now) | stuck
    due = list(FailedItem.objects.filter(due_q).order_by("next_attempt_at")[:limit])
    counts = {"due": len(due), "resolved": 0, "failed": 0, "dead_letter": 0, "deferred": 0}
    for item in due:
        state = _attempt(item).state
        if state == FailedState.RESOLVED:
            counts["resolved"] += 1
        elif state == FailedState.DEAD_LETTER:
            counts["dead_letter"] += 1
        else:
            counts["failed"] += 1
    return counts
