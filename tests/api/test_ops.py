"""GET /health, GET /metrics and the create_api_key command."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from memoryadmin.apikeys.models import ApiKey
from memoryadmin.ops import metrics
from memoryadmin.ops.tasks import scheduler_heartbeat
from tests.api.conftest import EPISODE, Agent

pytestmark = pytest.mark.django_db


def test_health_reports_each_part(agent: Agent) -> None:
    response = agent.send("GET", "/health")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["status"] == "ok" and body["database"]["ping_ms"] >= 0
    assert body["database"]["deadline_ms"] > 0 and body["cache"]["deadline_ms"] == 0
    assert body["cache"]["status"] in ("ok", "degraded", "down") and "took_ms" in body["cache"]
    assert body["scheduler"]["status"] == "unknown"  # no heartbeat yet
    assert body["status"] == "degraded"


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
    assert sorted(line[-1] for line in breaker) == ["0", "0", "0", "1"]  # exactly one state
    assert "per process" in text and "from the database" in text
    for line in text.splitlines():
        assert line.startswith("#") or line.startswith("memoryadmin_"), line


def test_sync_hooks_feed_the_metrics(agent: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "sync_run_counts", lambda: {"succeeded": 3, "failed": 1})
    monkeypatch.setattr(metrics, "circuit_breaker_state", lambda: "open")
    text = agent.send("GET", "/metrics").content.decode()
    assert 'memoryadmin_sync_runs{outcome="failed"} 1' in text
    assert 'memoryadmin_sync_runs{outcome="succeeded"} 3' in text
    assert 'memoryadmin_circuit_breaker_state{state="open"} 1' in text


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
