"""Seed many realistic demo episodes fast (100,000s): the rows the services would write.

``seed_demo`` goes through the services (~80 episodes/s); this command
applies the same rules in memory and writes each chunk with one executemany
per table (see _bulk_seed.py). One run seeds one namespace (``--namespace``),
learning into that namespace's patterns and heuristics only. Run it with no
other writer on the database.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from episodes.management.commands._bulk_seed import BulkSeeder
from episodes.management.commands._namespace import add_namespace_argument, namespace_id_of


class Command(BaseCommand):
    help = (
        "Seed N realistic demo episodes in bulk (same hashes, digests and change markers "
        "as the services); no other writer may run meanwhile."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--episodes", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--days", type=int, default=60, help="spread start times over this many days"
        )
        parser.add_argument("--chunk", type=int, default=2000, help="episodes per transaction")
        parser.add_argument(
            "--running", action="store_true", help="leave every episode open (no outcome)"
        )
        parser.add_argument("--ids-file", help="write the new episode ids here, one a line")
        add_namespace_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        total, chunk = options["episodes"], max(options["chunk"], 1)
        seeder = BulkSeeder(
            namespace_id=namespace_id_of(options["namespace"]),
            seed=options["seed"],
            days=options["days"],
            running=options["running"],
        )
        started = time.monotonic()
        for i in range(total):
            seeder.add()
            if (i + 1) % chunk == 0 or i + 1 == total:
                seeder.flush()
                rate = (i + 1) / max(time.monotonic() - started, 1e-9)
                sys.stderr.write(
                    f"\r{i + 1}/{total} episodes  {rate:,.0f}/s  ETA {(total - i - 1) / rate:.0f}s "
                )
                sys.stderr.flush()
        if options["ids_file"]:
            Path(options["ids_file"]).write_text("".join(f"{i}\n" for i in seeder.created_ids))
        self.stdout.write(
            f"\nseeded {total} episodes in {time.monotonic() - started:.1f}s "
            f"(change marker {seeder.seq}; namespace {options['namespace']!r} has "
            f"{len(seeder.patterns)} patterns, {len(seeder.heuristics)} heuristics)"
        )
