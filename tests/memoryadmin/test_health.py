"""/healthz: a ping with its latency, or a 503 within the deadline (never a hang)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from django.db import OperationalError, connections
from django.test import Client

from memoryadmin.health import database_health
from memoryadmin.ops.health import database_deadline_ms
from tests.netfixtures import extra_aliases, refused_port, silent_server


@pytest.mark.django_db
def test_healthz_reports_libsql_and_a_ping(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["engine"] == "libsql"
    assert body["database"]["mode"] == "local"
    assert body["database"]["libsql_version"] == "0.1.11"
    assert body["database"]["sqlite_version"].startswith("3.")
    assert 0 < body["database"]["ping_ms"] < database_deadline_ms()  # a real query, bounded


@pytest.fixture
def remote_alias(django_db_blocker) -> Iterator[Callable[[str], str]]:
    """Extra aliases pointing at misbehaving endpoints (0.3 s deadline)."""
    with extra_aliases(django_db_blocker, "remote") as add:
        yield lambda url: add(url, token="tok-health", deadline=0.3)


def test_unanswering_server_gives_unavailable_within_the_deadline(remote_alias) -> None:
    with silent_server() as port:
        alias = remote_alias(f"http://127.0.0.1:{port}")
        started = time.monotonic()
        report = database_health(alias=alias)
        elapsed = time.monotonic() - started
    assert report["ok"] is False
    assert "did not answer within 0.3s" in report["error"]
    assert elapsed < 2.0
    assert "tok-health" not in report["error"]


def test_refused_connection_gives_unavailable_at_once(remote_alias) -> None:
    alias = remote_alias(f"http://127.0.0.1:{refused_port()}")
    started = time.monotonic()
    with pytest.raises(OperationalError, match="unreachable"):
        connections[alias].ensure_connection()
    assert time.monotonic() - started < 1.0
    # Repeated attempts fail fast from the remembered failure.
    report = database_health(alias=alias)
    assert report["ok"] is False


HEALTHZ = (
    "import django, json; django.setup(); from django.test import Client; "
    "r = Client().get('/healthz'); print(r.status_code, json.dumps(r.json()))"
)


def test_healthz_answers_503_when_the_database_never_answers(project_env) -> None:
    import json
    import subprocess

    from tests.conftest import PYTHON, ROOT

    with silent_server() as port:
        env = {
            **project_env,
            "TURSO_DATABASE_URL": f"http://127.0.0.1:{port}",
            "TURSO_AUTH_TOKEN": "tok-never-shown",
            "LIBSQL_REMOTE_DEADLINE_MS": "300",
        }
        started = time.monotonic()
        result = subprocess.run(
            [PYTHON, "-c", HEALTHZ], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        elapsed = time.monotonic() - started
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503", result.stderr
    report = json.loads(body)
    assert report["status"] == "unavailable" and report["database"]["mode"] == "remote"
    assert elapsed < 15  # interpreter start + Django setup + the 0.3 s deadline, not a hang
    assert "tok-never-shown" not in result.stdout + result.stderr
