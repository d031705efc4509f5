"""Selectors the console and API read, and the thin django-q2 tasks."""

from __future__ import annotations

import pytest
from django_q.models import OrmQ

from memoryadmin.exceptions import NotFound
from sync import tasks
from sync.models.runs import Status
from sync.selectors import (
    FailedItemFilters,
    SyncRunFilters,
    cache_freshness,
    failed_item_counts,
    failed_item_list,
    sync_run_get,
    sync_run_list,
    sync_run_summary,
    validation_latest,
)
from sync.services import sync_run_start, sync_startup
from sync.services.runs import claim_run, release_run
from tests.factories import default_namespace_id
from tests.sync.conftest import seed, sync

pytestmark = pytest.mark.django_db


def test_run_list_filters_and_summary() -> None:
    seed(2)
    first = sync(tags=["nightly"])
    second = sync(scope="patterns")
    assert [r.pk for r in sync_run_list()] == [second.pk, first.pk]
    assert [r.pk for r in sync_run_list(filters=SyncRunFilters(tag="nightly"))] == [first.pk]
    assert [r.pk for r in sync_run_list(filters=SyncRunFilters(scope="patterns"))] == [second.pk]
    assert sync_run_get(run_id=first.pk) == first
    with pytest.raises(NotFound):
        sync_run_get(run_id=999_999)
    summary = sync_run_summary(first)
    assert (
        summary["counts"]["new"] == first.new_count and summary["report"]["status"] == "succeeded"
    )
    assert validation_latest().run_id == second.pk
    assert validation_latest(run_id=first.pk).run_id == first.pk


def test_failed_items_and_freshness(settings) -> None:
    assert cache_freshness()["lag_seconds"] is None  # never synced
    seed(2)
    settings.SYNC_MAX_ITEM_BYTES = 10
    run = sync()
    assert run.status == Status.PARTIAL
    ns = default_namespace_id()  # the seeded episodes' namespace
    items = failed_item_list(
        namespace_id=ns, filters=FailedItemFilters(kind="episode", open_only=True)
    )
    assert len(items) == 2 and failed_item_counts() == {"pending": run.failed_count}
    assert failed_item_list(namespace_id=ns, filters=FailedItemFilters(run_id=run.pk + 1)) == []
    freshness = cache_freshness()
    assert freshness["in_step"] and freshness["last_good_run"]["pk"] == run.pk


def test_startup_queues_a_task_that_executes_the_run() -> None:
    seed(1)
    run = sync_startup()
    assert run.status == Status.QUEUED and OrmQ.objects.count() == 1
    assert tasks.sync_run_task(run.pk) == Status.SUCCEEDED
    assert sync_startup().pk != run.pk  # the first is done: a new one is queued


def test_tasks_call_their_service() -> None:
    seed(1)
    assert tasks.sync_periodic_task().endswith(":succeeded")
    assert tasks.cache_write_behind_task()["status"] == "in_step"
    assert tasks.failed_items_retry_task()["due"] == 0
    assert tasks.sync_verify_task(full=True) is True
    queued = sync_run_start(scope="patterns")
    assert tasks.sync_periodic_task() == f"{queued.pk}:succeeded"  # it executes the queued one
    running = sync_run_start()
    claim_run(running.pk)
    try:
        assert tasks.sync_periodic_task() == f"{running.pk}:running"  # never two at once
    finally:
        release_run(running.pk)


def test_metrics_hooks() -> None:
    from sync.selectors import circuit_breaker_state, sync_run_counts
    from sync.services.breaker import breaker_record_failure

    seed(1)
    sync()
    sync(dry_run=True)
    assert sync_run_counts() == {"succeeded": 2}
    assert circuit_breaker_state() == "closed"
    for _ in range(5):
        breaker_record_failure("refused")
    assert circuit_breaker_state() == "open"
