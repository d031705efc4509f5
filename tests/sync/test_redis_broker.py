"""The django-q2 Redis broker (Q_REDIS_URL) against a real redis-server started here."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import PYTHON, ROOT
from tests.netfixtures import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_url(tmp_path: Path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (make test installs it with apt)")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


ENQUEUE = """
import django, time; django.setup()
from django_q.brokers import get_broker
from django_q.models import OrmQ, Task
from django_q.tasks import async_task
print("broker", type(get_broker()).__name__, flush=True)
task_id = async_task("memoryadmin.ops.tasks.scheduler_heartbeat")
print("ormq", OrmQ.objects.count(), flush=True)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    task = Task.objects.filter(id=task_id).first()
    if task is not None:
        print("done", task.success, flush=True)
        break
    time.sleep(0.2)
else:
    print("timeout", flush=True)
"""


def test_a_task_travels_through_redis_and_runs(redis_url: str, project_env) -> None:
    env = {**project_env, "Q_REDIS_URL": redis_url}
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=120
    )
    cluster = subprocess.Popen(
        [PYTHON, "manage.py", "qcluster"], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        result = subprocess.run(
            [PYTHON, "-c", ENQUEUE], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
    finally:
        cluster.terminate()
        cluster.wait(20)
    lines = result.stdout.split("\n")
    assert "broker Redis" in lines, result.stdout + result.stderr
    assert "ormq 0" in lines  # nothing went through the database queue
    assert "done True" in lines, result.stdout + result.stderr
