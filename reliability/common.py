"""What every scenario shares: data directories, ``manage.py`` in a child process,
the web server, a small HTTP client, percentiles and the result rows.

The runner never imports Django itself: each data directory (a copy of one
seeded libSQL file) is served, synced and verified by its own processes,
started the way ``make run`` starts them, with the environment pointing at it.
Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# One data directory type and port picker for both harnesses (bench/common.py).
from bench.common import DataDir as DataDir
from bench.common import free_port as free_port

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def log(message: str) -> None:
    sys.stderr.write(f"[reliability {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


@dataclass(frozen=True)
class Row:
    """One figure of the report; ``ok`` is None for figures without a target."""

    scenario: str
    figure: str
    value: str
    target: str = ""
    ok: bool | None = None


def manage(
    env: dict[str, str], *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [PYTHON, "manage.py", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def last_json(output: str) -> Any:
    """The JSON document a ``--json`` command printed last."""
    return json.loads(output.strip().splitlines()[-1])


def api_key(env: dict[str, str], name: str, scopes: str = "read,write") -> str:
    out = manage(
        env,
        "create_api_key",
        "--name",
        name,
        "--scopes",
        scopes,
        "--quiet",
        "--rate-limit",
        "1000000",
        "--daily-episode-quota",
        "1000000",
    )
    return out.stdout.strip()


def orm(env: dict[str, str], code: str, imports: str = "") -> Any:
    """Evaluate one expression with Django set up (after ``imports``); returns its JSON value."""
    script = (
        f"import django, json\ndjango.setup()\n{imports}\nprint(json.dumps({code}, default=str))"
    )
    proc = subprocess.run(
        [PYTHON, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    if proc.returncode != 0:
        raise RuntimeError(f"orm({code!r}) failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


@dataclass
class Server:
    """``manage.py serve`` (gunicorn sync workers, optionally django-q2) in its own
    process group, so ``kill()`` takes every process of it down at once."""

    env: dict[str, str]
    log_path: Path
    workers: int = 2
    cluster: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 60) -> Server:
        args = [PYTHON, "manage.py", "serve", "--bind", f"127.0.0.1:{self.port}"]
        args += ["--workers", str(self.workers)] + ([] if self.cluster else ["--no-cluster"])
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                args, env=self.env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True
            )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            if request(self.url, "GET", "/healthz", timeout=2).status > 0:
                return self
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"server did not answer within {wait}s")

    def kill(self) -> None:
        """kill -9 of the whole server: serve, the gunicorn master and every worker."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(20)
        self.kill()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class Reply:
    status: int  # 0: no HTTP answer (refused, reset, timed out)
    body: Any  # parsed JSON, else text
    seconds: float
    headers: dict[str, str] = field(default_factory=dict)


def request(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    key: str = "",
    idempotency: str = "",
    timeout: float = 30,
    conn: http.client.HTTPConnection | None = None,
) -> Reply:
    """One request over ``conn`` (kept alive by the caller) or a connection of its own."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if idempotency:
        headers["Idempotency-Key"] = idempotency
    data = json.dumps(body).encode() if body is not None else None
    own = conn is None
    if conn is None:
        conn = http.client.HTTPConnection(base.split("//", 1)[1], timeout=timeout)
    started = time.perf_counter()
    try:
        conn.request(method, path, data, headers)
        response = conn.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        return Reply(0, f"{type(exc).__name__}: {exc}", time.perf_counter() - started)
    finally:
        if own:
            conn.close()
    elapsed = time.perf_counter() - started
    answered = {k.lower(): v for k, v in response.getheaders()}
    try:
        return Reply(response.status, json.loads(raw or b"null"), elapsed, answered)
    except ValueError:
        return Reply(response.status, raw.decode(errors="replace"), elapsed, answered)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"
