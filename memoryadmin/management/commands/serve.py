"""Run the web server and the django-q2 cluster together; Ctrl-C stops both.

The web side runs gunicorn with *sync process workers*: libsql keeps the GIL
while it waits on a locked database, so threads in one process would stall
each other, while separate processes write side by side.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve http://127.0.0.1:8000 (gunicorn, process workers) and run the django-q2 cluster."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=os.environ.get("MEMORYADMIN_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument(
            "--timeout", type=int, default=int(os.environ.get("WEB_TIMEOUT_SECONDS", "30"))
        )
        parser.add_argument("--no-cluster", action="store_true", help="do not start django-q2")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.core.management import call_command

        from sync.services import sync_startup

        if not options["no_cluster"]:
            call_command("setup_schedules", verbosity=0)
            sync_startup()  # only enqueues: the cluster runs it
        python = sys.executable
        web = [
            python, "-m", "gunicorn", "memoryadmin.wsgi:application",
            "--bind", options["bind"],
            "--workers", str(options["workers"]),
            "--worker-class", "sync",
            # A worker stuck in a remote call that never answers is killed here.
            "--timeout", str(options["timeout"]),
            "--access-logfile", "-",
        ]  # fmt: skip
        children = [subprocess.Popen(web)]
        if not options["no_cluster"]:
            children.append(subprocess.Popen([python, "manage.py", "qcluster"]))
        self.stdout.write(f"memory admin on http://{options['bind']}  (Ctrl-C stops)")
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.2)
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for child in children:
                try:
                    child.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [str(c.args) for c in children if c.returncode not in (0, -15, None)]
        if failed and not stopping:
            raise SystemExit(f"a child process exited unexpectedly: {failed}")
