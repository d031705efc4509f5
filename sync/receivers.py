"""The sync app's answers to the lower apps' signals (connected in apps.py)."""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings

# The write-behind task applies every change newer than the cache's marker,
# so one queued run covers a burst of writes: queue at most one per interval.
WRITE_BEHIND_INTERVAL = 2.0
_last_queued = 0.0
_lock = threading.Lock()


def queue_write_behind(**_: Any) -> None:
    """An episode changed: bring the cache in step within seconds (debounced per process)."""
    global _last_queued
    if not settings.CACHE_WRITE_BEHIND:
        return
    with _lock:
        now = time.monotonic()
        if now - _last_queued < WRITE_BEHIND_INTERVAL:
            return
        _last_queued = now
    # django_q's task module loads its models: imported at call time, so this module
    # can be imported (and connected) by apps.py while the app registry is loading.
    from django_q.tasks import async_task

    async_task("sync.tasks.cache_write_behind_task", group="write-behind")
