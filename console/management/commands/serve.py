"""Run the web server and the django-q2 cluster together; Ctrl-C stops both.

Both run in one process group of their own (with every process they fork:
gunicorn's workers, django-q2's sentinel, workers, monitor and pusher), so a
stop reaches the whole tree: TERM to the group, then KILL to whatever is left
at the deadline (a task stuck in a database call cannot keep anything alive).

The web side runs gunicorn with *sync process workers*: libsql keeps the GIL
while it waits on a locked database, so threads in one process would stall
each other, while separate processes write side by side.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from console.processes import ProcessGroup
from sync.services import sync_startup


class Command(BaseCommand):
    help = "Serve http://127.0.0.1:8000 (gunicorn, process workers) and run the django-q2 cluster."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=os.environ.get("MEMORYADMIN_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument(
            "--timeout", type=int, default=int(os.environ.get("WEB_TIMEOUT_SECONDS", "30"))
        )
        parser.add_argument("--no-cluster", action="store_true", help="do not start django-q2")
        parser.add_argument(
            "--stop-timeout",
            type=float,
            default=float(os.environ.get("SERVE_STOP_TIMEOUT_SECONDS", "10")),
            help="seconds the children get to stop after TERM before the whole tree is killed",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_cluster"]:
            call_command("setup_schedules", verbosity=0)
            sync_startup()  # only enqueues: the cluster runs it
        python = sys.executable
        web = [
            python, "-m", "gunicorn", "config.wsgi:application",
            "--bind", options["bind"],
            "--workers", str(options["workers"]),
            "--worker-class", "sync",
            # A worker stuck in a remote call that never answers is killed here.
            "--timeout", str(options["timeout"]),
            # gunicorn's maximum: URLs up to 8190 bytes reach the API (JSON errors);
            # longer ones get gunicorn's own 414, answered before Django.
            "--limit-request-line", "8190",
            "--access-logfile", "-",
        ]  # fmt: skip
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        # Handlers first: a signal during start-up still stops what was started.
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        group = ProcessGroup()
        try:
            group.start(web)
            if not options["no_cluster"]:
                group.start([python, "manage.py", "qcluster"])
            self.stdout.write(f"memory admin on http://{options['bind']}  (Ctrl-C stops)")
            while not stopping and group.all_running():
                time.sleep(0.2)
        finally:
            group.stop(deadline=options["stop_timeout"])
        children = group.children
        failed = [str(c.args) for c in children if c.returncode not in (0, -15, None)]
        if failed and not stopping:
            raise SystemExit(f"a child process exited unexpectedly: {failed}")
