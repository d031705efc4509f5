"""GET /health, GET /metrics and the create_api_key command."""

from __future__ import annotations

import time
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from memoryadmin.apikeys.models import ApiKey
from memoryadmin.ops import metrics
from memoryadmin.ops.tasks import scheduler_heartbeat
from sync.models import SyncRun
from sync.models.runs import Status
from sync.services import sync_run_execute, sync_run_start
from sync.services.breaker import OPEN, breaker_record_failure, breaker_state, failure_threshold
from tests.api.conftest import EPISODE, Agent
from tests.sync.conftest import seed, sync

pytestmark = pytest.mark.django_db


def test_health_reports_each_part(agent: Agent) -> None:
    response = agent.send("GET", "/health")
    assert response.status_code == 200
    body = response.json()
    database = body["database"]
    assert database["status"] == "ok" and 0 < database["ping_ms"] < database["deadline_ms"]
    assert body["cache"]["deadline_ms"] == 0 and "took_ms" in body["cache"]
    # Nothing has synced yet: this test's cache file does not exist.
    assert body["cache"]["status"] == "down" and body["cache"]["read"] == "unavailable"
    assert body["scheduler"]["status"] == "unknown"  # no heartbeat yet
    assert body["status"] == "degraded"


def test_health_is_ok_once_the_cache_is_synced_and_the_scheduler_beats(agent: Agent) -> None:
    seed(1)
    sync()
    scheduler_heartbeat()
    body = agent.send("GET", "/health").json()
    assert body["cache"]["status"] == "ok" and body["cache"]["read"] == "hit"
    assert body["scheduler"]["status"] == "ok"
    assert body["status"] == "ok"


def test_the_scheduler_heartbeat_turns_it_ok(agent: Agent) -> None:
    scheduler_heartbeat()
    scheduler = agent.send("GET", "/health").json()["scheduler"]
    assert scheduler["status"] == "ok" and scheduler["age_seconds"] < 60


def test_a_stale_heartbeat_is_reported(agent: Agent) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from memoryadmin.ops.models import Heartbeat

    Heartbeat.objects.create(name="qcluster", seen_at=timezone.now() - timedelta(minutes=10))
    assert agent.send("GET", "/health").json()["scheduler"]["status"] == "stale"


def test_metrics_in_prometheus_text(agent: Agent, django_capture_on_commit_callbacks: Any) -> None:
    metrics.reset()
    with django_capture_on_commit_callbacks(execute=True):  # counted once committed
        agent.send("POST", "/episodes", EPISODE)
    agent.send("POST", "/context/retrieve", {"description": "flaky login"})
    agent.send("GET", f"/episodes/{agent.send('GET', '/episodes').json()['items'][0]['id']}")
    response = agent.send("GET", "/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert "memoryadmin_episodes_created_total 1\n" in text
    assert "memoryadmin_episodes_last_hour 1\n" in text
    assert 'memoryadmin_retrieval_latency_seconds_bucket{le="+Inf"} 1\n' in text
    assert "memoryadmin_retrieval_latency_seconds_count 1\n" in text
    assert 'memoryadmin_cache_reads_total{status="' in text
    breaker = [line for line in text.splitlines() if line.startswith("memoryadmin_circuit_breaker")]
    assert sorted(line[-1] for line in breaker) == ["0", "0", "1"]  # exactly one of three states
    assert "per process" in text and "from the database" in text
    for line in text.splitlines():
        assert line.startswith("#") or line.startswith("memoryadmin_"), line


class Stop(Exception):
    pass


def _stop_at_first_batch(run: SyncRun) -> None:
    if run.progress_done:  # the first call only reports the totals
        raise Stop("stopped mid-run")


def test_sync_runs_and_the_breaker_feed_the_metrics(agent: Agent, settings: Any) -> None:
    settings.SYNC_BREAKER_COOLDOWN_SECONDS = 60
    seed(4)
    failed = sync_run_start(batch_size=2)
    stopped = sync_run_execute(run_id=failed.pk, on_progress=_stop_at_first_batch)
    assert stopped.status == Status.FAILED
    assert sync().resumed_from_id == failed.pk
    sync()  # nothing changed: succeeds again
    skipped = sync_run_start()
    opened_at = time.time()
    for _ in range(failure_threshold()):
        breaker_record_failure("connection refused", now=opened_at)
    assert breaker_state().state == OPEN
    assert breaker_state().retry_at == opened_at + 60
    # The run queued before the breaker opened is skipped when it comes to execute.
    assert sync_run_execute(run_id=skipped.pk).status == Status.SKIPPED

    text = agent.send("GET", "/metrics").content.decode()
    runs = [line for line in text.splitlines() if line.startswith("memoryadmin_sync_runs")]
    assert runs == [
        'memoryadmin_sync_runs{outcome="failed"} 1',
        'memoryadmin_sync_runs{outcome="skipped"} 1',
        'memoryadmin_sync_runs{outcome="succeeded"} 2',
    ]
    breaker = [line for line in text.splitlines() if line.startswith("memoryadmin_circuit_breaker")]
    assert breaker == [
        'memoryadmin_circuit_breaker_state{state="closed"} 0',
        'memoryadmin_circuit_breaker_state{state="open"} 1',
        'memoryadmin_circuit_breaker_state{state="half_open"} 0',
    ]


def test_metrics_need_read_scope(make_agent: object) -> None:
    assert make_agent(scopes=("sync",)).send("GET", "/metrics").status_code == 403  # type: ignore[operator]


def test_create_api_key_prints_the_key_once() -> None:
    out = StringIO()
    call_command("create_api_key", "--name", "agent-1", "--scopes", "read,write", stdout=out)
    key = out.getvalue().splitlines()[1]
    row = ApiKey.objects.get()
    assert row.name == "agent-1" and row.scopes == ["read", "write"] and key.startswith(row.prefix)
    assert Agent(key).send("GET", "/episodes").status_code == 200


def test_create_api_key_rejects_unknown_scopes() -> None:
    with pytest.raises(CommandError, match="unknown scope"):
        call_command("create_api_key", "--name", "x", "--scopes", "read,root", stdout=StringIO())
    assert not ApiKey.objects.exists()
