"""What every benchmark module shares: paths, the Django environment of a data
directory, and running ``manage.py`` against it in a child process.

The runner itself never imports Django: each data directory (a fresh copy
of a seeded libSQL file) is served or synced by its own processes, started
the way ``make run`` starts them, with the environment pointing at it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DATA_ROOT = Path(os.environ.get("BENCH_DATA_DIR") or "/tmp/memoryadmin-bench")  # noqa: S108
SECONDS = float(os.environ.get("BENCH_SECONDS") or 30)
SECRET_KEY = "harness-only-secret-key-not-for-production-use-0123456789"  # noqa: S105
# The bench runs its servers with the full 100,000-episode window in the cache.
CACHE_WINDOW = 100_000


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


@dataclass(frozen=True)
class DataDir:
    """A directory holding one libSQL file (and, once synced, its redb cache).

    Shared by the benchmarks and the reliability drills: every process they
    start against it gets the same environment.
    """

    path: Path
    window: int | None = None  # MAX_EPISODES_CACHE of its processes; None: the default

    @property
    def db(self) -> Path:
        return self.path / "memory.db"

    @property
    def cache(self) -> Path:
        return self.path / "cache.redb"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(
                ("TURSO_", "LIBSQL_", "REDB_", "MEMORYADMIN_", "Q_REDIS", "DJANGO_")
            )
        }
        env.update(
            MEMORYADMIN_DATA_DIR=str(self.path),
            LIBSQL_DATABASE_PATH=str(self.db),
            REDB_CACHE_PATH=str(self.cache),
            DJANGO_SETTINGS_MODULE="config.settings",
            DJANGO_SECRET_KEY=SECRET_KEY,
            DJANGO_DEBUG="0",
            EMBEDDINGS_PROVIDER="none",
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        if self.window is not None:
            env["MAX_EPISODES_CACHE"] = str(self.window)
        env.update(extra)
        return env

    def copy(self, target: Path) -> DataDir:
        """A copy of the whole directory at ``target`` (replacing what was there)."""
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(self.path, target, ignore=shutil.ignore_patterns("*.log"))
        return DataDir(target, self.window)

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run ``manage.py`` here; returns stdout, raises with stderr on failure."""
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=env or self.env(),
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def python(self, module: str, *args: str, env: dict[str, str] | None = None) -> Measured:
        """Run ``python -m module`` here (a Django child); stdout, wall time and peak RSS."""
        return measured([PYTHON, "-m", module, *args], env=env or self.env())


@dataclass(frozen=True)
class Measured:
    stdout: str
    seconds: float
    max_rss_mb: float


def measured(argv: list[str], *, env: dict[str, str]) -> Measured:
    """Run a child to its end; its own peak RSS comes from wait4's rusage."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{stderr[-3000:]}")
    return Measured(stdout, seconds, usage.ru_maxrss / 1024)  # ru_maxrss is in KiB on Linux


def fresh_copy(source: DataDir, name: str) -> DataDir:
    """A fresh working directory holding a copy of a seeded file (the seed stays pristine)."""
    target = DataDir(DATA_ROOT / "work" / name, source.window)
    if target.path.exists():
        shutil.rmtree(target.path)
    target.path.mkdir(parents=True)
    shutil.copyfile(source.db, target.db)
    return target


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (everything the harnesses start listens there)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"
