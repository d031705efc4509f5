"""kill -9 of a running sync at a random point, KILLS times in a row.

Each round: new episodes arrive (``seed_demo``), ``sync_memories --batch-size
50`` starts in a child process and is SIGKILLed at a random point of its
work (a random fraction of its items, then a random extra delay, so the kill
lands inside batches, between them, in the reconcile or the validation);
the same command runs again and must resume from the killed run's
checkpoint; then ``verify_cache --full`` must pass. Round 1 fills an empty
cache; later rounds use ``--force-full`` so every run rewrites every item
(an incremental run would have almost nothing left to do after round 1).
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import time

from reliability.common import PYTHON, ROOT, Row, last_json, log, manage, ms, orm, percentile
from reliability.context import Context

NAME = "sync-kill"
KILLS = 20
NEW_PER_ROUND = 25
PROGRESS = re.compile(rb"(\d+)/(\d+) (\w*)")
# The killed run as it was left: still "running" with a checkpoint means resumable.
LAST_RUN = "SyncRun.objects.order_by('-pk').values('pk', 'status', 'checkpoint__phase').first()"


def _kill_at_random_point(env: dict[str, str], opts: list[str], rng: object) -> tuple[str, float]:
    """Start the sync, SIGKILL it at a random point; returns (where, seconds it ran)."""
    fraction = rng.uniform(0.0, 1.0)  # type: ignore[attr-defined]
    extra = rng.uniform(0.0, 0.25)  # type: ignore[attr-defined]
    proc = subprocess.Popen(
        [PYTHON, "manage.py", "sync_memories", *opts],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    started, out = time.monotonic(), b""
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    reached = False
    while not reached and time.monotonic() - started < 120:
        if not selector.select(timeout=0.5):
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break  # the run ended before the chosen point
        out += chunk
        found = PROGRESS.findall(out.rsplit(b"\r", 1)[-1]) or PROGRESS.findall(out)
        if found:
            done, total, _ = found[-1]
            reached = int(total) > 0 and int(done) >= fraction * int(total)
    time.sleep(extra)
    alive = proc.poll() is None
    if alive:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    ran = time.monotonic() - started
    selector.close()
    out += proc.stdout.read()
    proc.stdout.close()
    found = PROGRESS.findall(out)
    where = (
        f"{found[-1][0].decode()}/{found[-1][1].decode()} {found[-1][2].decode()}"
        if found
        else "start"
    )
    return (where if alive else "finished"), ran


def run(ctx: Context) -> list[Row]:
    data = ctx.data(NAME)
    env = data.env()
    rng = ctx.rng
    kills = resumable = resumed = passed = rounds = 0
    wheres: list[str] = []
    resume_times: list[float] = []
    failures: list[str] = []
    while kills < KILLS and rounds < KILLS + 10:
        rounds += 1
        if rounds > 1:
            manage(env, "seed_demo", "--episodes", str(NEW_PER_ROUND), "--seed", str(1000 + rounds))
        opts = ["--batch-size", "50"] + (["--force-full"] if rounds > 1 else [])
        where, ran = _kill_at_random_point(env, opts, rng)
        killed = orm(env, LAST_RUN, "from sync.models import SyncRun")
        started = time.monotonic()
        again = manage(env, "sync_memories", *opts, "--json", check=False)
        resume_times.append(time.monotonic() - started)
        summary = last_json(again.stdout) if again.stdout.strip() else {}
        verify = manage(env, "verify_cache", "--full", "--json", check=False)
        report = last_json(verify.stdout) if verify.stdout.strip() else {}
        ok_run = summary.get("status") == "succeeded"
        if where == "finished":
            log(f"{NAME}: round {rounds}: the run finished before the kill; not counted")
        else:
            kills += 1
            wheres.append(where)
            if killed["status"] == "running" and killed["checkpoint__phase"]:
                resumable += 1
                resumed += summary.get("resumed_from") == killed["pk"]
            passed += bool(ok_run and report.get("passed"))
        if not ok_run or not report.get("passed"):
            failures.append(
                f"round {rounds} (killed at {where}): run {summary.get('status')} "
                f"{summary.get('error')}; verify {report.get('summary')}"
            )
        log(
            f"{NAME}: round {rounds}: killed at {where} after {ran:.1f}s; rerun "
            f"{summary.get('status')} resumed_from={summary.get('resumed_from')}; "
            f"verify {report.get('summary')}"
        )
    return [
        Row(
            NAME,
            "runs killed with kill -9 at a random point",
            f"{kills}",
            f"{KILLS}",
            kills == KILLS,
        ),
        Row(
            NAME,
            "next run succeeded and verify_cache --full passed",
            f"{passed}/{kills}",
            f"{KILLS}/{KILLS}",
            passed == kills == KILLS,
        ),
        Row(
            NAME,
            "next run resumed from the killed run's checkpoint",
            f"{resumed}/{resumable}",
            "every run killed after a checkpoint and before it ended",
            resumed == resumable,
        ),
        Row(NAME, "kill points (done/total phase)", ", ".join(wheres[:KILLS])),
        Row(
            NAME,
            "rerun duration P50 / max",
            f"{ms(percentile(resume_times, 50))} / {ms(max(resume_times, default=0))}",
        ),
        Row(NAME, "failures", "; ".join(failures) or "none", "none", not failures),
    ]
