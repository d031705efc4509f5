"""Work that follows a committed episode write, off the request path."""

from __future__ import annotations

import threading
import time
from uuid import UUID

from django.conf import settings
from django.db import transaction

# The write-behind task applies every change newer than the cache's marker,
# so one queued run covers a burst of writes: queue at most one per interval.
WRITE_BEHIND_INTERVAL = 2.0
_last_queued = 0.0
_lock = threading.Lock()


def _queue_write_behind() -> None:
    global _last_queued
    with _lock:
        now = time.monotonic()
        if now - _last_queued < WRITE_BEHIND_INTERVAL:
            return
        _last_queued = now
    from django_q.tasks import async_task

    async_task("sync.tasks.cache_write_behind_task", group="write-behind")


def after_episode_change(episode_id: UUID | str, *, completed: bool = False) -> None:
    """After the write commits: bring the cache in step within seconds, and
    embed a completed episode (both off the request path, via django-q2)."""
    if settings.CACHE_WRITE_BEHIND:
        transaction.on_commit(_queue_write_behind)
    if completed and settings.EMBEDDINGS_PROVIDER != "none":
        from django_q.tasks import async_task

        transaction.on_commit(
            lambda: async_task("episodes.tasks.episode_embed", str(episode_id), group="embeddings")
        )
