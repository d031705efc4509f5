"""Declare every django-q2 schedule of the product; idempotent (update_or_create by name).

django-q2's finest granularity is one minute. The schedules use its
MINUTES/DAILY types rather than cron strings, so croniter is not needed;
the cron equivalent of each is given in its comment.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone
from django_q.models import Schedule


def _next_at(hour: int) -> datetime:
    now = timezone.now()
    at = datetime.combine(now.date(), time(hour=hour), tzinfo=now.tzinfo)
    return at if at > now else at + timedelta(days=1)


SCHEDULES: list[dict[str, Any]] = [
    # "*/5 * * * *": the periodic incremental sync (only changed items are rewritten).
    {
        "name": "sync-periodic",
        "func": "sync.tasks.sync_periodic_task",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
    # "* * * * *": write-behind, every change newer than the cache's marker (1 min is the minimum).
    {
        "name": "sync-write-behind",
        "func": "sync.tasks.cache_write_behind_task",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    # "*/2 * * * *": drain the retry queue (each item waits out its own backoff).
    {
        "name": "sync-retry-failed",
        "func": "sync.tasks.failed_items_retry_task",
        "schedule_type": Schedule.MINUTES,
        "minutes": 2,
    },
    # "* * * * *": the cluster's heartbeat, read by /api/v1/health (scheduler status).
    {
        "name": "scheduler-heartbeat",
        "func": "memoryadmin.ops.tasks.scheduler_heartbeat",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    # "30 3 * * *": nightly full verification (every content hash), at 03:30 UTC.
    {
        "name": "sync-verify-nightly",
        "func": "sync.tasks.sync_verify_task",
        "kwargs": "{'full': True}",
        "schedule_type": Schedule.DAILY,
        "first_run": lambda: _next_at(3) + timedelta(minutes=30),
    },
]


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules (safe to run on every start)."

    def handle(self, *args: Any, **options: Any) -> None:
        for spec in SCHEDULES:
            spec = dict(spec)
            name = spec.pop("name")
            first_run = spec.pop("first_run", timezone.now)
            defaults = {"repeats": -1, "args": None, "kwargs": None, **spec}
            # next_run is set only on creation: re-running the command keeps the rhythm.
            _, created = Schedule.objects.update_or_create(
                name=name, defaults=defaults, create_defaults={**defaults, "next_run": first_run()}
            )
            self.stdout.write(f"{'created' if created else 'updated'} {name}")
