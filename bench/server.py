"""The web server under test, started the way ``make run`` starts it.

``manage.py serve --no-cluster`` runs gunicorn with sync process workers on
a free loopback port, its environment pointing at a bench data directory.
The django-q2 cluster is left out so the two cores serve requests only
(write-behind tasks are still queued by every write, as in production).

Server time comes from gunicorn's own access log: ``%(D)s`` is the time
the worker spent on a request, from reading it to the last byte written.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from bench.common import PYTHON, ROOT, DataDir, free_port, log

ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the process's own peak resident set size so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Server:
    data: DataDir
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.data.path / "server.log"

    def __enter__(self) -> Server:
        env = self.data.env(
            WEB_WORKERS=str(self.workers),
            GUNICORN_CMD_ARGS=f"--access-logformat '{ACCESS_FORMAT}'",
        )
        with self.access_log.open("wb") as out:
            self.process = subprocess.Popen(
                [PYTHON, "manage.py", "serve", "--no-cluster", "--bind", f"127.0.0.1:{self.port}"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()
        log(f"server on {self.url} (workers {self.worker_pids()})")
        return self

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.access_log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as reply:  # noqa: S310
                    if reply.status == 200 and len(self.worker_pids()) >= self.workers:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not answer /healthz in time")

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        masters = _children(self.process.pid)
        return [w for m in masters for w in _children(m)]

    def worker_peak_rss_mb(self) -> float:
        return max((peak_rss_mb(pid) for pid in self.worker_pids()), default=float("nan"))

    def log_offset(self) -> int:
        return self.access_log.stat().st_size

    def server_times_ms(self, since: int, path_prefix: str = "/api/") -> list[float]:
        """Per-request worker time (ms) of the access-log lines written after ``since``."""
        with self.access_log.open("rb") as handle:
            handle.seek(since)
            lines = handle.read().decode(errors="replace").splitlines()
        times = []
        for line in lines:
            parts = line.split()
            if len(parts) == 4 and parts[1].startswith(path_prefix) and parts[3].isdigit():
                times.append(int(parts[3]) / 1000)
        return times
