"""The failed-item ledger: record a failed item, count repeats, resolve it when written.

An item that fails again counts into its one open record (see the model's
constraint). Delays grow exponentially with "equal jitter" (half fixed,
half random) so many failed items do not retry in lockstep; after
SYNC_RETRY_MAX_ATTEMPTS the record becomes a dead letter for an operator.
A later run that writes the item resolves the record. The worker that
retries due items is retry.py.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from episodes.models import Embedding, Episode, Heuristic, Pattern
from sync.models import FailedItem
from sync.models.failures import OPEN_STATES, FailedState


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


def failed_items_in_namespace(namespace_id: int) -> Q:
    """Failed items whose cached item belongs to the namespace (read from the items' own
    rows: an item's key names an episode, pattern, heuristic or embedding)."""
    embedding_keys = (
        Embedding.objects.filter(namespace_id=namespace_id)
        .annotate(item_key=Concat("owner_kind", Value(":"), "owner_id", Value(":"), "model_id"))
        .values("item_key")
    )
    return (
        Q(kind="episode", key__in=Episode.objects.filter(namespace_id=namespace_id).values("id"))
        | Q(kind="pattern", key__in=Pattern.objects.filter(namespace_id=namespace_id).values("id"))
        | Q(
            kind="heuristic",
            key__in=Heuristic.objects.filter(namespace_id=namespace_id).values("id"),
        )
        | Q(kind="embedding", key__in=embedding_keys)
    )
