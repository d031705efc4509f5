"""Child-process helpers: redb's locks are file locks, so cross-process behaviour is tested
with real `python -c` subprocesses that signal progress line by line on stdout."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PYTHON = sys.executable


def spawn(code: str, *args: str | Path) -> subprocess.Popen[str]:
    """Starts `python -c code args...` with pipes for line-based signalling."""
    return subprocess.Popen(
        [PYTHON, "-c", textwrap.dedent(code), *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(code: str, *args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Runs `python -c code args...` to completion."""
    return subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def read_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return proc.stdout.readline().strip()


def expect_line(proc: subprocess.Popen[str], wanted: str) -> None:
    """Reads the child's next stdout line and checks it; shows stderr when the child died."""
    line = read_line(proc)
    if line != wanted:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"child said {line!r}, expected {wanted!r}; stderr:\n{err}")


def release(proc: subprocess.Popen[str]) -> None:
    """Sends the child the line it waits for, and waits for it to exit cleanly."""
    out, err = proc.communicate("go\n", timeout=30)
    assert proc.returncode == 0, f"child failed ({proc.returncode}):\n{out}\n{err}"
