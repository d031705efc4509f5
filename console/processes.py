"""A process group that ``serve`` starts its children in and stops as a whole tree."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence


class ProcessGroup:
    """Children in one new process group (not ``serve``'s own, so a terminal's
    Ctrl-C reaches ``serve`` alone and ``serve`` decides the order of the stop)."""

    def __init__(self) -> None:
        self.children: list[subprocess.Popen[bytes]] = []
        self.pgid: int | None = None

    def start(self, argv: Sequence[str]) -> subprocess.Popen[bytes]:
        # The first child leads the group (pgid = its pid); the others join it.
        child = subprocess.Popen(list(argv), process_group=self.pgid or 0)
        if self.pgid is None:
            self.pgid = child.pid
        self.children.append(child)
        return child

    def all_running(self) -> bool:
        return all(child.poll() is None for child in self.children)

    def members(self) -> list[int]:
        """Pids still in the group, grandchildren included (read from /proc)."""
        if self.pgid is None:
            return []
        return pids_in_group(self.pgid)

    def stop(self, *, deadline: float) -> None:
        """TERM the whole group, wait up to ``deadline`` seconds, then KILL what is left."""
        if self.pgid is None:
            return
        self._signal(signal.SIGTERM)
        until = time.monotonic() + max(deadline, 0.0)
        while time.monotonic() < until and self.members():
            self._reap()
            time.sleep(0.1)
        if self.members():
            self._signal(signal.SIGKILL)
            until = time.monotonic() + 5
            while time.monotonic() < until and self.members():
                self._reap()
                time.sleep(0.05)
        self._reap()

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid or 0, signum)

    def _reap(self) -> None:
        for child in self.children:
            child.poll()  # our own children would stay zombies (still "in" the group)


def pids_in_group(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is ``pgid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state != b"Z":
            found.append(int(entry))
    return found
