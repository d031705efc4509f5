"""The database circuit breaker: a file next to the cache that every process reads."""

from __future__ import annotations

import json

import pytest

from sync.models import SyncRun
from sync.models.runs import Status
from sync.services import sync_run_execute, sync_run_start
from sync.services.breaker import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    breaker_allow,
    breaker_path,
    breaker_record_failure,
    breaker_record_success,
    breaker_state,
    database_ping,
)
from tests.sync.conftest import seed


@pytest.fixture(autouse=True)
def _timings(settings) -> None:
    settings.SYNC_BREAKER_BACKOFF_SECONDS = 10
    settings.SYNC_BREAKER_COOLDOWN_SECONDS = 60
    settings.SYNC_BREAKER_MAX_COOLDOWN_SECONDS = 900


def test_opens_after_five_failures_probes_then_closes() -> None:
    t = 1_000_000.0
    for i in range(1, 5):
        state = breaker_record_failure("refused", now=t)
        assert state.state == CLOSED and state.failures == i
        # Exponential backoff with equal jitter: 10, 20, 40, 80 s → half to all of it.
        delay = 10 * 2 ** (i - 1)
        assert t + delay / 2 <= state.retry_at <= t + delay
    state = breaker_record_failure("refused", now=t)
    assert state.state == OPEN and state.retry_at == t + 60
    assert not breaker_allow(now=t + 59)
    assert breaker_allow(now=t + 60) and breaker_state().state == HALF_OPEN
    # A failed probe opens it again for twice as long.
    state = breaker_record_failure("still refused", now=t + 61)
    assert state.state == OPEN and state.retry_at == t + 61 + 120 and state.trips == 2
    assert breaker_allow(now=t + 200)
    assert breaker_record_success(now=t + 201).state == HALF_OPEN
    state = breaker_record_success(now=t + 202)
    assert state.state == CLOSED and state.failures == 0 and state.trips == 0


def test_state_is_a_json_file_next_to_the_cache(settings) -> None:
    breaker_record_failure("refused")
    path = breaker_path()
    assert path.parent == settings.REDB_CACHE_PATH.parent
    assert json.loads(path.read_text())["failures"] == 1
    breaker_record_success()
    assert json.loads(path.read_text())["failures"] == 0


@pytest.mark.django_db
def test_an_open_breaker_skips_without_touching_the_database() -> None:
    for _ in range(5):
        breaker_record_failure("connection refused")
    run = sync_run_start()
    assert run.pk is None and run.status == Status.SKIPPED
    assert "circuit breaker open" in run.warnings[0]
    assert run.report["retry_at"] == breaker_state().retry_at
    assert not SyncRun.objects.exists()
    assert not database_ping().ok


@pytest.mark.django_db
def test_a_run_whose_database_ping_fails_is_skipped_and_nothing_is_written(settings) -> None:
    seed(2)
    run = sync_run_start()
    for _ in range(5):
        breaker_record_failure("connection refused")
    run = sync_run_execute(run_id=run.pk)
    assert run.status == Status.SKIPPED and run.new_count == 0
    assert "database unavailable" in run.warnings[0]
    assert not settings.REDB_CACHE_PATH.exists()
    assert run.report["next_recommended_sync"]["why"].startswith("the database was unavailable")
