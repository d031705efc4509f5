"""Fixtures running the test Hrana server in a subprocess and pointing Django
database aliases at it."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PYTHON, ROOT
from tests.netfixtures import extra_aliases

TOKEN = "tok-remote-5f1c9e"  # a test secret: asserted never to leak into errors
START_TIMEOUT = 20.0


@dataclass
class HranaServer:
    """A running tests/remote/hrana_server.py process."""

    process: subprocess.Popen[str]
    port: int
    db_path: Path
    log_path: Path
    token: str
    stderr_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def advance_clock(self, seconds: float) -> None:
        """Move the server's idle clock forward: streams idle past the TTL now expire."""
        request = urllib.request.Request(
            f"{self.url}/_test/clock",
            data=json.dumps({"advance": seconds}).encode(),
            headers={"Authorization": f"Bearer {self.token}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200

    def requests(self) -> list[dict[str, Any]]:
        """Every request the server received, in order (bodies, never headers)."""
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text().splitlines()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout:
            self.process.stdout.close()


def start_server(directory: Path, *, token: str = TOKEN, stream_ttl: float = 10.0) -> HranaServer:
    """Start the server on a free loopback port; return once it listens."""
    directory.mkdir(parents=True, exist_ok=True)
    db_path, log_path = directory / "remote.db", directory / "requests.jsonl"
    stderr_path = directory / "server.err"
    env = {**os.environ, "HRANA_AUTH_TOKEN": token, "PYTHONPATH": str(ROOT)}
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [
                *(PYTHON, "-m", "tests.remote.hrana_server", "--db", str(db_path)),
                *("--port", "0", "--stream-ttl", str(stream_ttl), "--log", str(log_path)),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT
    line = ""
    while time.monotonic() < deadline and process.poll() is None:
        if selector.select(timeout=0.1):
            line = process.stdout.readline()
            break
    selector.close()
    if not line.startswith("HRANA_LISTENING "):
        process.kill()
        process.wait(5)
        raise RuntimeError(f"hrana server did not start: {line!r} {stderr_path.read_text()}")
    return HranaServer(
        process=process,
        port=int(line.split()[1]),
        db_path=db_path,
        log_path=log_path,
        token=token,
        stderr_path=stderr_path,
    )


@pytest.fixture(scope="module")
def hrana_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HranaServer]:
    """One server per test module (tests in a module share its database)."""
    server = start_server(tmp_path_factory.mktemp("hrana"))
    yield server
    server.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., HranaServer]]:
    """Start servers of a test's own (to stop or misconfigure them)."""
    started: list[HranaServer] = []

    def start(**options: Any) -> HranaServer:
        server = start_server(tmp_path / f"hrana{len(started)}", **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def remote_alias(django_db_blocker: Any) -> Iterator[Callable[..., str]]:
    """Register Django database aliases on a server's URL (see tests/netfixtures.py)."""
    with extra_aliases(django_db_blocker, "hrana") as add:

        def on(server: HranaServer, *, token: str | None = None, deadline: float = 2.0) -> str:
            token = server.token if token is None else token
            return add(server.url, token=token, deadline=deadline, conn_max_age=0)

        yield on
