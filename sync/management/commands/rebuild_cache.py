"""Empty the cache and refill it from the database (a damaged file is kept aside)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from memoryadmin.exceptions import ApplicationError
from sync.management.progress import ProgressBar
from sync.models.runs import Status
from sync.services import cache_rebuild


class Command(BaseCommand):
    help = "Rebuild the redb cache from the database (holds the one-run slot)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        bar = ProgressBar(self.stdout, label="rebuild ")
        try:
            run = cache_rebuild(batch_size=options["batch_size"], on_progress=bar)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        finally:
            bar.close()
        for warning in run.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        self.stdout.write(
            f"rebuild (sync #{run.pk or '-'}) {run.status}: {run.new_count} items written, "
            f"{run.failed_count} failed"
        )
        if run.status in (Status.FAILED, Status.SKIPPED):
            raise CommandError(f"rebuild {run.status}: {run.error or '; '.join(run.warnings)}")
