"""The retry worker: retry due items, retry or dismiss one by hand.

Each attempt syncs the one item (single.py); the ledger (failures.py)
counts a repeat failure, backs it off and dead-letters it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from memoryadmin.audit.services import audit_record
from memoryadmin.exceptions import Conflict, NotFound
from sync.models import FailedItem
from sync.models.failures import OPEN_STATES, FailedState
from sync.services.failures import failed_item_record, failed_items_in_namespace
from sync.services.runs import active_run
from sync.services.single import item_sync

STUCK = timedelta(minutes=10)


def _user(user: AbstractBaseUser | None) -> Any:
    return user if user is not None and user.is_authenticated else None


def _get(item_id: int, namespace_id: int | None) -> FailedItem:
    """The item, if it is the namespace's (None: any); another's is "does not exist"."""
    qs = FailedItem.objects.all()
    if namespace_id is not None:
        qs = qs.filter(failed_items_in_namespace(namespace_id))
    try:
        return qs.get(pk=item_id)
    except FailedItem.DoesNotExist:
        raise NotFound(
            f"failed item {item_id} does not exist", extra={"field": "item_id"}
        ) from None


def _attempt(item: FailedItem) -> FailedItem:
    """Try the item again now; returns the refreshed record."""
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


def failed_item_retry(*, item_id: int, namespace_id: int | None, user: Any = None) -> FailedItem:
    """Retry one item now, whatever its schedule (dead letters included)."""
    item = _get(item_id, namespace_id)
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
def failed_item_dismiss(*, item_id: int, namespace_id: int | None, user: Any = None) -> FailedItem:
    """Close an open record without retrying it (kept with who and when)."""
    item = _get(item_id, namespace_id)
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
