"""Embed completed episodes that have no vector for the configured model yet."""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from episodes.embeddings.providers import EmbeddingError
from episodes.embeddings.services import embeddings_backfill
from memoryadmin.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Embed completed episodes without a vector for the current EMBEDDINGS_PROVIDER model. "
        "Safe to re-run: episodes already embedded with that model are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="embed at most N episodes")
        parser.add_argument("--batch-size", type=int, default=64, help="texts per provider call")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        tty = self.stdout.isatty()

        def progress(done: int, total: int) -> None:
            rate = done / max(time.perf_counter() - started, 1e-9)
            line = f"embedded {done}/{total} episodes ({rate:.0f}/s)"
            self.stdout.write(f"\r{line}" if tty else line, ending="" if tty else "\n")
            self.stdout.flush()

        try:
            result = embeddings_backfill(
                limit=options["limit"], batch_size=options["batch_size"], on_progress=progress
            )
        except (ApplicationError, ImproperlyConfigured, EmbeddingError) as exc:
            raise CommandError(str(exc)) from exc
        if tty and result.embedded:
            self.stdout.write("")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.embedded} episode(s) embedded with {result.model_id} in {elapsed:.1f} s"
            )
        )
