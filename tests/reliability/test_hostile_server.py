"""The HTTP edges through a real gunicorn: what the test client cannot show.

Chunked bodies arrive with no Content-Length (gunicorn sets
``wsgi.input_terminated``), HEAD bodies are dropped on the wire, and a long
request line is refused by gunicorn itself, before Django, as its own non-JSON
414. ``serve`` runs gunicorn with ``--limit-request-line 8190`` (gunicorn's
maximum), so every URL up to that length reaches the API and gets its JSON
answer (a too-long filter is a 422 naming it); only longer ones get gunicorn's 414.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import PYTHON, ROOT
from tests.netfixtures import free_port

pytestmark = pytest.mark.slow

LIMIT_REQUEST_LINE = 8190  # gunicorn's maximum; the flag ``serve`` passes
MAKE_KEY = (
    "import django; django.setup(); "
    "from memoryadmin.apikeys.services import api_key_create; "
    "print(api_key_create(name='gunicorn', scopes=['admin']).key)"
)
EPISODE = {"task_description": "fix the flaky login test", "task_type": "debugging"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TURSO_", "LIBSQL_"))}
    env.update(
        MEMORYADMIN_DATA_DIR=str(tmp_path_factory.mktemp("gunicorn") / "data"),
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(ROOT),
        EMBEDDINGS_PROVIDER="none",
    )
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    made = subprocess.run(
        [PYTHON, "-c", MAKE_KEY], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    key = made.stdout.strip().splitlines()[-1]
    port = free_port()
    web = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--worker-class", "sync",
         "--limit-request-line", str(LIMIT_REQUEST_LINE)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while _status(port, "GET", "/healthz") != 200:
            assert web.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield port, key
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=20)


def _status(port: int, method: str, path: str) -> int | None:
    try:
        return _call(port, method, path)[0]
    except OSError:
        return None


def _call(
    port: int, method: str, path: str, body: Any = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        chunked = not isinstance(body, bytes | None)
        conn.request(method, path, body=body, headers=headers, encode_chunked=chunked)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def _api(key: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **headers}


def test_a_chunked_body_is_read(server: tuple[int, str]) -> None:
    port, key = server
    raw = json.dumps(EPISODE).encode()
    pieces = iter([raw[:10], raw[10:]])  # an iterable body: http.client sends it chunked
    status, _, body = _call(
        port,
        "POST",
        "/api/v1/episodes",
        pieces,
        **_api(key, **{"Content-Type": "application/json"}),
    )
    assert status == 201, body
    episode_id = json.loads(body)["id"]
    status, _, body = _call(port, "GET", f"/api/v1/episodes/{episode_id}", **_api(key))
    assert json.loads(body)["task_description"] == EPISODE["task_description"]


def test_head_is_get_without_a_body(server: tuple[int, str]) -> None:
    port, key = server
    status, headers, body = _call(port, "HEAD", "/api/v1/episodes", **_api(key))
    assert (status, body) == (200, b"")
    assert headers["content-type"].startswith("application/json")


def test_bad_bodies_are_json_errors(server: tuple[int, str]) -> None:
    port, key = server
    raw = json.dumps(EPISODE).encode()
    status, _, body = _call(port, "POST", "/api/v1/episodes", raw, **_api(key))
    assert status == 415 and json.loads(body)["extra"]["field"] == "Content-Type"
    nul = json.dumps({**EPISODE, "task_description": "a\x00b"}).encode()
    json_type = {"Content-Type": "application/json"}
    status, _, body = _call(port, "POST", "/api/v1/episodes", nul, **_api(key, **json_type))
    assert status == 422 and json.loads(body)["extra"]["field"] == "task_description"


def test_a_long_url_reaches_the_api_up_to_gunicorns_limit(server: tuple[int, str]) -> None:
    port, key = server
    path = "/api/v1/episodes?text=" + "x" * 7000
    status, headers, body = _call(port, "GET", path, **_api(key))
    assert status == 422 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["extra"]["field"] == "text"
    # Past the limit gunicorn answers before Django: its own 414, not JSON.
    status, headers, body = _call(port, "GET", "/api/v1/episodes?text=" + "x" * 9000, **_api(key))
    assert status == 414
