"""An agent's whole path with the production settings, write-behind included.

Every other test runs with CACHE_WRITE_BEHIND off (tests/conftest.py); here the
settings are what config/settings.py makes of this environment, and requests
commit for real (``transaction=True``), so each write's after-commit signal
queues the write-behind on the django-q2 ORM broker as it does in production.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils.module_loading import import_string
from django_q.models import OrmQ

from config import settings as config_settings
from episodes.services import usage
from sync import receivers
from tests.api.conftest import EPISODE, SUCCESS, Agent

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_BEHIND = "sync.tasks.cache_write_behind_task"
# Where a test process may differ from production: the redb file is the test's own,
# and Django's test set-up adds "testserver" to ALLOWED_HOSTS and normalises STATIC_URL.
TEST_ONLY = {"REDB_CACHE_PATH", "ALLOWED_HOSTS", "STATIC_URL"}
STEPS = [  # the README's example agent
    {"tool": "pytest", "action": "run the auth tests", "parameters": {}, "success": False,
     "latency_ms": 840, "tokens": 310, "observation": "2 failed"},
    {"tool": "editor", "action": "fix the session expiry check", "parameters": {},
     "success": True, "latency_ms": 1200, "tokens": 450, "observation": "patched"},
]  # fmt: skip


def _differences(module: Any) -> set[str]:
    names = [n for n in dir(module) if n.isupper()]
    return {n for n in names if getattr(module, n) != getattr(django_settings, n)}


@pytest.fixture
def production(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _differences(config_settings) - TEST_ONLY:
        setattr(settings, name, getattr(config_settings, name))
    assert _differences(config_settings) <= TEST_ONLY
    assert settings.CACHE_WRITE_BEHIND is True, "the environment turned CACHE_WRITE_BEHIND off"
    # The debounce is per process: an earlier test's write must not hide this one's.
    monkeypatch.setattr(receivers, "_last_queued", 0.0)


def _queued() -> list[str]:
    return [task.func() for task in OrmQ.objects.order_by("pk")]


def _run_queue() -> list[Any]:
    """What the cluster does: pull each queued task, run it, acknowledge it."""
    results = []
    for task in OrmQ.objects.order_by("pk"):
        results.append(import_string(task.func())(*task.args(), **task.kwargs()))
        task.delete()
    return results


def test_an_agent_round_trip_queues_the_write_behind(production: None, agent: Agent) -> None:
    began = time.monotonic()
    started = agent.send("POST", "/episodes", EPISODE, **{"Idempotency-Key": str(uuid.uuid4())})
    assert started.status_code == 201, started.content
    episode_id = started.json()["id"]
    assert _queued() == [WRITE_BEHIND]  # the first write of a burst queues it at once

    steps_key = str(uuid.uuid4())
    logged = agent.send(
        "POST", f"/episodes/{episode_id}/steps", {"steps": STEPS}, **{"Idempotency-Key": steps_key}
    )
    assert logged.status_code == 200, logged.content
    assert logged.json()["logged"] == 2 and logged.json()["step_count"] == 2
    complete_key = str(uuid.uuid4())
    done = agent.send(
        "POST", f"/episodes/{episode_id}/complete", SUCCESS, **{"Idempotency-Key": complete_key}
    )
    assert done.status_code == 200, done.content
    assert done.json()["verdict"] == "success" and done.json()["reflection"]["insights"]
    burst = time.monotonic() - began
    assert burst < receivers.WRITE_BEHIND_INTERVAL, f"the writes took {burst:.1f} s"
    assert _queued() == [WRITE_BEHIND]  # the burst is covered by that one task

    # A retry with the same key is answered from the first reply and writes nothing,
    # so it queues nothing either (even with the debounce open again).
    receivers._last_queued = 0.0
    replay = agent.send(
        "POST", f"/episodes/{episode_id}/complete", SUCCESS, **{"Idempotency-Key": complete_key}
    )
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.content == done.content
    assert _queued() == [WRITE_BEHIND]

    before = agent.send("GET", f"/episodes/{episode_id}")
    assert before.status_code == 200
    assert before.json()["source"] == "database"  # the queued write-behind has not run yet
    assert [s["tool"] for s in before.json()["steps"]] == ["pytest", "editor"]
    # This test's cache file is new, so the write-behind rebuilds it in full.
    (result,) = _run_queue()
    assert result["status"] == "rebuilt"
    got = agent.send("GET", f"/episodes/{episode_id}")
    assert got.status_code == 200
    assert got.json()["source"] == "cache" and got.json()["cache_status"] == "hit"
    assert got.json()["steps"] == before.json()["steps"]

    found = agent.send(
        "POST",
        "/context/retrieve",
        {"description": "login test fails", "context": {"task_type": "debugging"}, "limit": 3},
    )
    assert found.status_code == 200, found.content
    body = found.json()
    assert body["mode"] == "keyword"  # no embedding provider by default
    assert [e["id"] for e in body["episodes"]] == [episode_id]
    assert body["patterns"], "completing the episode learned patterns"
    # Counted in this process, off the request path: nothing is written or queued.
    assert usage.pattern_retrievals_pending() == {p["id"]: 1 for p in body["patterns"]}
    assert _queued() == []
