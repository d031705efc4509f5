"""Sync the redb cache from the database, with a progress bar (or a JSON report)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from memoryadmin.exceptions import ApplicationError
from sync.management.progress import ProgressBar
from sync.models.runs import Scope, Status, Trigger
from sync.selectors import sync_run_summary
from sync.services import sync_run_execute, sync_run_start


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


class Command(BaseCommand):
    help = "Sync the redb cache from the database (incremental; resumes an interrupted run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scope", choices=Scope.values, default=Scope.ALL)
        parser.add_argument(
            "--dry-run", action="store_true", help="compute the diff, write nothing"
        )
        parser.add_argument("--force-full", action="store_true", help="rewrite every item")
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument(
            "--tags", action="append", help="labels for this run (comma-separated, repeatable)"
        )
        parser.add_argument(
            "--exclude",
            action="append",
            help="keep items out of the cache: archived, tag:X, domain:X, task_type:X, "
            "language:X, framework:X, verdict:X, pattern_kind:X (comma-separated, repeatable)",
        )
        parser.add_argument("--trigger", choices=Trigger.values, default=Trigger.MANUAL)
        parser.add_argument("--json", action="store_true", help="print the run as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        as_json = options["json"]
        try:
            run = sync_run_start(
                scope=options["scope"],
                dry_run=options["dry_run"],
                force_full=options["force_full"],
                tags=_split(options["tags"]),
                exclude=_split(options["exclude"]),
                trigger=options["trigger"],
                batch_size=options["batch_size"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        note = ""
        wanted = (options["scope"], options["dry_run"], options["force_full"])
        if run.pk is not None and run.status == Status.QUEUED:
            if (run.scope, run.dry_run, run.force_full) != wanted:
                # Someone else's queued run (start-up, staleness): not what was asked for.
                note = f"run #{run.pk} ({run.trigger}) is queued; try again when it has finished"
            else:
                run, note = self._execute(run, as_json)
        elif run.pk is not None:
            note = f"run #{run.pk} is already {run.status} (owner {run.owner or 'none yet'})"
        if as_json:
            self.stdout.write(json.dumps({**sync_run_summary(run), "note": note}, default=str))
        else:
            self._print(run, note)
        if run.status == Status.FAILED:
            raise CommandError(f"sync run #{run.pk} failed: {run.error}")

    def _execute(self, run: Any, as_json: bool) -> tuple[Any, str]:
        bar = ProgressBar(sys.stderr if as_json else self.stdout, label=f"sync #{run.pk} ")
        try:
            executed = sync_run_execute(run_id=run.pk, on_progress=bar)
        finally:
            bar.close()
        if executed.status == Status.RUNNING:
            return executed, f"run #{run.pk} was claimed by {executed.owner}"
        return executed, ""

    def _print(self, run: Any, note: str) -> None:
        if note:
            self.stdout.write(note)
        for warning in run.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        summary = sync_run_summary(run)
        counts = " ".join(f"{k}={v}" for k, v in summary["counts"].items())
        self.stdout.write(
            f"sync #{run.pk or '-'} {run.status}: {counts} bytes={run.bytes_written} "
            f"({run.items_per_second or 0:,.0f} items/s)"
        )
        for failure in run.report.get("failed", []):
            self.stdout.write(
                f"  failed {failure['kind']} {failure['key']}: {failure['error']}\n"
                f"    → {failure['remediation']}"
            )
        if run.dry_run and run.preview:
            estimate = run.preview.get("estimate", {})
            self.stdout.write(f"dry run, nothing written; estimate: {json.dumps(estimate)}")
        nxt = run.report.get("next_recommended_sync")
        if nxt:
            self.stdout.write(f"next recommended sync: {nxt['at']} ({nxt['why']})")
