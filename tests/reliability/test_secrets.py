"""API keys, their hashes and the database token never appear in logs, pages or error bodies.

Every log record of every logger is captured at DEBUG (tracebacks included)
while a key is created in the console, used (successes and failures), guessed
wrong and revoked, and while the database is remote and unreachable (refused,
never answering: in this process through an extra alias, and in a subprocess
running the whole stack with LOG_LEVEL=DEBUG). The key shows exactly once:
on the page that created it.
"""

from __future__ import annotations

import logging
import re
import secrets
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, connections
from django.test import Client

from memoryadmin.apikeys.models import ApiKey
from memoryadmin.health import database_health
from tests.conftest import PYTHON, ROOT
from tests.netfixtures import extra_aliases, refused_port, silent_server
from tests.reliability.conftest import API, bearer, logged_in

pytestmark = pytest.mark.django_db
TOKEN = "tok-" + secrets.token_urlsafe(24)  # the database token: never shown anywhere


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # the message, its args and any traceback


@pytest.fixture
def logs() -> Iterator[Capture]:
    """Every logger at DEBUG into one handler (also loggers that do not propagate)."""
    capture = Capture()
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
    ]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        if logger is logging.root or not logger.propagate:
            logger.addHandler(capture)
    yield capture
    for logger, level in saved:
        logger.setLevel(level)
        logger.removeHandler(capture)


def surface(response: Any) -> str:
    """What a client sees: status, headers and body."""
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return f"{response.status_code}\n{headers}\n{response.content.decode(errors='replace')}"


def _console_creates_a_key(admin: Client) -> tuple[str, str]:
    created = admin.post("/keys/", {"name": "secret agent", "scopes": ["read", "write"]})
    assert created.status_code == 200
    (key,) = set(re.findall(r"ma_live_[\w-]{20,}", created.content.decode()))
    return key, ApiKey.objects.get(name="secret agent").key_hash


def _agent_traffic(key: str, wrong: str) -> list[Any]:
    agent, stranger, replies = Client(), Client(), []
    body = {"task_description": "rotate the keys", "task_type": "debugging", "context": {}}
    for method, path, data in [
        ("POST", "/episodes", body),
        ("GET", "/episodes", None),
        ("GET", "/health", None),
        ("GET", "/episodes/00000000-0000-4000-8000-000000000000", None),
        ("POST", "/episodes", {"task_type": "juggling"}),
        ("POST", "/episodes", "{not json"),
        ("GET", "/keys", None),  # outside the key's scopes: 403
        ("POST", "/sync/runs", {}),
    ]:
        payload = data if isinstance(data, str) or data is None else __import__("json").dumps(data)
        replies.append(
            agent.generic(
                method, API + path, payload or "", "application/json", headers=bearer(key)
            )
        )
    for token in (wrong, key.upper(), "garbage", key + "x"):
        replies.append(stranger.get(API + "/episodes", headers=bearer(token)))
    return replies


def test_keys_and_hashes_never_leak(logs: Capture, superuser: User) -> None:
    admin = logged_in(superuser)
    key, hashed = _console_creates_a_key(admin)
    wrong = "ma_live_" + secrets.token_urlsafe(32)
    replies = _agent_traffic(key, wrong)
    assert [r.status_code for r in replies] == [201, 200, 200, 404, 422, 400, 403, 403] + [401] * 4
    pk = ApiKey.objects.get(name="secret agent").pk
    replies.append(admin.post(f"/keys/{pk}/revoke", follow=True))
    replies.append(Client().get(API + "/episodes", headers=bearer(key)))
    assert replies[-1].status_code == 401
    for page in (
        "/keys/",
        "/audit/",
        "/admin/memoryadmin/apikey/",
        "/admin/memoryadmin/auditevent/",
    ):
        replies.append(admin.get(page))
    replies.append(admin.get(f"/admin/memoryadmin/apikey/{pk}/change/"))
    assert all(r.status_code < 500 for r in replies)
    seen = [surface(r) for r in replies] + logs.lines
    assert len(logs.lines) > 5  # the capture works: 4xx replies are logged
    for secret in (key, hashed, wrong):
        assert [text for text in seen if secret in text] == []


@pytest.fixture
def remote_alias(django_db_blocker: Any) -> Iterator[Any]:
    """Extra aliases pointing at misbehaving endpoints, with the secret token."""
    with extra_aliases(django_db_blocker, "secret_remote") as add:
        yield lambda url: add(url, token=TOKEN, deadline=0.3)


def test_the_database_token_never_leaks_in_process(logs: Capture, remote_alias: Any) -> None:
    seen: list[str] = []
    with silent_server() as port:
        for url in (f"http://127.0.0.1:{refused_port()}", f"http://127.0.0.1:{port}"):
            alias = remote_alias(url)
            seen.append(repr(database_health(alias=alias)))
            with pytest.raises(OperationalError) as raised:
                connections[alias].ensure_connection()
            logging.getLogger("tests.reliability").exception("remote failed")
            seen.append(repr(raised.value))
    assert all("'ok': False" in text for text in seen[::2])
    assert [text for text in seen + logs.lines if TOKEN in text] == []


STACK = """
import django, json
django.setup()
from django.core.management import call_command
from django.test import Client
client = Client()
for path in ("/healthz", "/api/v1/health", "/api/v1/episodes"):
    reply = client.get(path, headers={"Authorization": "Bearer %s"})
    print(path, reply.status_code, dict(reply.headers), reply.content.decode())
call_command("sync_memories")
"""


def test_the_database_token_never_leaks_from_the_stack(project_env: dict[str, str]) -> None:
    key = "ma_live_" + secrets.token_urlsafe(32)
    with silent_server() as port:
        env = {
            **project_env,
            "TURSO_DATABASE_URL": f"http://127.0.0.1:{port}",
            "TURSO_AUTH_TOKEN": TOKEN,
            "LIBSQL_REMOTE_DEADLINE_MS": "300",
            "LOG_LEVEL": "DEBUG",
        }
        result = subprocess.run(
            [PYTHON, "-c", STACK % key],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=90,
        )
    output = result.stdout + result.stderr
    assert "/api/v1/episodes 503" in output, output[-3000:]
    assert "database unavailable" in output  # the sync was skipped with a warning
    assert TOKEN not in output and key not in output
