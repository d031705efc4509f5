"""Create realistic demo episodes through the real services."""

from __future__ import annotations

import random
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from episodes.demo import demo_episode
from episodes.management.commands._bulk_seed import DEMO_METADATA, demo_scope
from episodes.management.commands._namespace import add_namespace_argument, namespace_id_of
from episodes.services import episode_complete, episode_log_steps, episode_start


class Command(BaseCommand):
    help = (
        "Seed N realistic episodes (varied tools, outcomes, domains, agents) into a namespace "
        "through the services."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--episodes", type=int, default=200)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--days", type=int, default=60, help="spread start times over this many days"
        )
        add_namespace_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        namespace_id = namespace_id_of(options["namespace"])
        rng = random.Random(options["seed"])
        scope_rng = random.Random(f"scope-{options['seed']}")  # as seed_bulk's
        total = options["episodes"]
        now = timezone.now()
        started = time.monotonic()
        for i in range(total):
            demo = demo_episode(rng, now, options["days"])
            episode = episode_start(
                namespace_id=namespace_id,
                scope=demo_scope(scope_rng),
                task_description=demo.description,
                task_type=demo.task_type,
                context=demo.context,
                metadata=DEMO_METADATA,
                started_at=demo.started_at,
            )
            if demo.steps:
                episode_log_steps(
                    episode_id=episode.pk, namespace_id=namespace_id, steps=demo.steps
                )
            if demo.outcome is not None:
                episode_complete(
                    episode_id=episode.pk,
                    namespace_id=namespace_id,
                    outcome=demo.outcome,
                    ended_at=demo.started_at + demo.duration,
                )
            if (i + 1) % 100 == 0 or i + 1 == total:
                rate = (i + 1) / max(time.monotonic() - started, 1e-9)
                eta = (total - i - 1) / rate
                sys.stdout.write(f"\r{i + 1}/{total} episodes  {rate:.0f}/s  ETA {eta:.0f}s ")
                sys.stdout.flush()
        self.stdout.write(
            f"\nseeded {total} episodes into namespace {options['namespace']!r} "
            f"in {time.monotonic() - started:.1f}s"
        )
