"""Stopping ``serve`` leaves nothing behind: its whole tree is gone after SIGINT or
SIGTERM, also while a django-q2 worker is stuck in a task."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from console.processes import pids_in_group
from tests.conftest import ROOT
from tests.netfixtures import free_port

PYTHON = sys.executable
STOP_TIMEOUT = 3.0
QUEUE_STUCK_TASK = (
    "import django, sys; django.setup(); from django_q.tasks import async_task; "
    "async_task('tests.console.stuck_task.stuck', sys.argv[1])"
)


def _children_group(pid: int) -> int:
    """The process group ``serve`` (pid) started its children in."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                return int(fields[2])
    raise AssertionError("serve has no children")


def _wait_for(check: object, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _alive(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_stops_its_whole_tree(
    project_env: dict[str, str], tmp_path: Path, signum: int
) -> None:
    env = {**project_env, "EMBEDDINGS_PROVIDER": "none"}
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    marker = tmp_path / "stuck.pid"
    subprocess.run([PYTHON, "-c", QUEUE_STUCK_TASK, str(marker)], env=env, cwd=ROOT, check=True)
    port = free_port()
    serve = subprocess.Popen(
        [PYTHON, "manage.py", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--stop-timeout", str(STOP_TIMEOUT)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # the test can always clean up serve itself
    )  # fmt: skip
    group = None
    try:
        _wait_for(lambda: _alive(f"http://127.0.0.1:{port}/healthz"), "the server")
        _wait_for(marker.exists, "the stuck task to start")
        group = _children_group(serve.pid)
        members = pids_in_group(group)
        stuck_worker = int(marker.read_text())
        # gunicorn master + worker, qcluster + its sentinel, worker(s), monitor, pusher
        assert len(members) >= 6 and stuck_worker in members
        assert serve.pid not in members  # Ctrl-C in a terminal reaches serve alone

        started = time.monotonic()
        serve.send_signal(signum)
        serve.wait(timeout=STOP_TIMEOUT + 15)
        took = time.monotonic() - started
        assert pids_in_group(group) == []
        assert not Path(f"/proc/{stuck_worker}").exists()
        assert took < STOP_TIMEOUT + 10
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
        if group is not None:
            for pid in pids_in_group(group):
                os.kill(pid, signal.SIGKILL)
