"""Real processes on their own data directory: kill -9 and resume, an unreachable
database, one run at a time across processes."""

from __future__ import annotations

import json
import os
import random
import selectors
import shutil
import signal
import socket
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PYTHON, ROOT
from tests.sync.conftest import dump_cache

pytestmark = pytest.mark.slow
EPISODES = 250


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TURSO_", "LIBSQL_", "REDB_"))}
    env.update(
        MEMORYADMIN_DATA_DIR=str(data),
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def _manage(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [PYTHON, "manage.py", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with seeded demo episodes (patterns, heuristics), built once."""
    data = tmp_path_factory.mktemp("template")
    env = _env(data)
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "seed_demo", "--episodes", str(EPISODES))
    return data


@pytest.fixture
def data(template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(template, target)
    return target


def _sync_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = _manage(env, "sync_memories", "--json", *args).stdout
    return json.loads(out.strip().splitlines()[-1])


# sync_memories with every batch made durable at once (SYNC_WRITER_HOLD_SECONDS = 0), so
# a kill after batch n leaves n batches to resume from; tests/sync/test_durability.py kills
# runs inside a hold of non-durable batches.
DURABLE_EACH_BATCH = textwrap.dedent(
    """
    import django, sys
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    settings.SYNC_WRITER_HOLD_SECONDS = 0
    call_command("sync_memories", *sys.argv[1:])
    """
)


def _start_and_kill(env: dict[str, str], at_draw: int) -> int:
    """Run sync_memories and SIGKILL it after its progress bar was drawn ``at_draw`` times."""
    proc = subprocess.Popen(
        [PYTHON, "-c", DURABLE_EACH_BATCH, "--json", "--batch-size", "5"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    draws, deadline = 0, time.monotonic() + 60
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stderr, selectors.EVENT_READ)
        while draws < at_draw and time.monotonic() < deadline and proc.poll() is None:
            if sel.select(timeout=1):
                draws += os.read(proc.stderr.fileno(), 65536).count(b"\r")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stderr.close()
    return proc.returncode


def test_kill_9_at_a_random_batch_then_resume_equals_an_uninterrupted_run(data: Path) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    reference = _env(data, REDB_CACHE_PATH=str(data / "reference.redb"))
    first = _sync_json(reference, "--batch-size", "5")
    assert first["status"] == "succeeded", first
    expected = dump_cache(data / "reference.redb")
    batches = first["progress"]["total"] // 5
    for attempt in range(3):
        path = data / f"cache-{attempt}.redb"
        env = _env(data, REDB_CACHE_PATH=str(path))
        at = rng.randint(2, batches)
        assert _start_and_kill(env, at) == -signal.SIGKILL, f"seed {seed}: finished before the kill"
        resumed = _sync_json(env, "--batch-size", "5")
        assert resumed["status"] == "succeeded", (seed, resumed)
        assert resumed["resumed_from"] is not None, (seed, resumed)
        assert resumed["counts"]["new"] < first["counts"]["new"], (seed, at, resumed["counts"])
        assert dump_cache(path) == expected, f"seed {seed}, killed after {at} draws"
    assert _manage(env, "verify_cache", "--full", check=False).returncode == 0


UNREACHABLE = textwrap.dedent(
    """
    import json, time, django
    django.setup()
    from sync.services import sync_run_start
    from sync.services.breaker import breaker_state
    out = []
    for i in range(6):
        started = time.monotonic()
        run = sync_run_start()
        out.append([run.pk, run.status, breaker_state().state, time.monotonic() - started])
    print(json.dumps(out))
    """
)

RECOVERED = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.core.management import call_command
    from sync.services.breaker import breaker_allow, breaker_state
    # The clock reaches the end of the cool-down: the breaker lets a probe through.
    assert breaker_allow(now=breaker_state().retry_at) and breaker_state().state == "half_open"
    call_command("sync_memories", "--json")
    print(json.dumps(breaker_state().as_dict()))
    """
)


def test_unreachable_database_skips_then_retries_after_the_backoff(data: Path) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cache_file = data / "cache.redb"
    down = _env(
        data,
        REDB_CACHE_PATH=str(cache_file),
        TURSO_DATABASE_URL=f"http://127.0.0.1:{port}",
        LIBSQL_REMOTE_DEADLINE_MS="300",
    )
    proc = subprocess.run(
        [PYTHON, "-c", UNREACHABLE], env=down, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    attempts = json.loads(proc.stdout)
    assert all(pk is None and status == "skipped" for pk, status, _, _ in attempts)
    assert [state for _, _, state, _ in attempts] == ["closed"] * 4 + ["open"] * 2
    assert attempts[-1][3] < 0.05  # the open breaker answers without a connection attempt
    assert not cache_file.exists()  # nothing half-done
    breaker = json.loads((data / "cache.redb.breaker.json").read_text())
    assert breaker["failures"] == 5 and "unreachable" in breaker["last_error"]
    assert breaker["retry_at"] == breaker["opened_at"] + 60  # the first cool-down (default)

    up = _env(data, REDB_CACHE_PATH=str(cache_file))
    proc = subprocess.run(
        [PYTHON, "-c", RECOVERED], env=up, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    run_line, breaker_line = proc.stdout.strip().splitlines()[-2:]
    assert json.loads(run_line)["status"] == "succeeded"
    assert json.loads(breaker_line)["state"] == "closed"  # two successful probes closed it


HOLD = textwrap.dedent(
    """
    import sys, django
    django.setup()
    from sync.services import sync_run_start
    from sync.services.runs import claim_run
    run = sync_run_start()
    claim_run(run.pk)  # this live process now owns the run
    print(run.pk, flush=True)
    sys.stdin.read()  # hold it until the test closes stdin
    """
)


def test_one_run_at_a_time_across_processes(data: Path) -> None:
    env = _env(data, REDB_CACHE_PATH=str(data / "cache.redb"))
    holder = subprocess.Popen(
        [PYTHON, "-c", HOLD],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    held = int(holder.stdout.readline())
    second = _sync_json(env)
    assert second["id"] == held and second["status"] == "running"
    assert "already running" in second["note"]
    holder.stdin.close()
    holder.wait(30)
    third = _sync_json(env)  # the holder is gone: its run is abandoned, this one runs
    assert third["id"] != held and third["status"] == "succeeded"
    assert third["resumed_from"] is None  # nothing to resume: it never wrote a batch
