"""Create realistic demo episodes through the real services."""

from __future__ import annotations

import random
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from episodes.demo import demo_episode
from episodes.services import episode_complete, episode_log_steps, episode_start


class Command(BaseCommand):
    help = "Seed N realistic episodes (varied tools, outcomes, domains) through the services."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--episodes", type=int, default=200)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--days", type=int, default=60, help="spread start times over this many days"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rng = random.Random(options["seed"])
        total = options["episodes"]
        now = timezone.now()
        started = time.monotonic()
        for i in range(total):
            demo = demo_episode(rng, now, options["days"])
            episode = episode_start(
                task_description=demo.description,
                task_type=demo.task_type,
                context=demo.context,
                metadata={"demo": True},
                started_at=demo.started_at,
            )
            if demo.steps:
                episode_log_steps(episode_id=episode.pk, steps=demo.steps)
            if demo.outcome is not None:
                episode_complete(
                    episode_id=episode.pk,
                    outcome=demo.outcome,
                    ended_at=demo.started_at + demo.duration,
                )
            if (i + 1) % 100 == 0 or i + 1 == total:
                rate = (i + 1) / max(time.monotonic() - started, 1e-9)
                eta = (total - i - 1) / rate
                sys.stdout.write(f"\r{i + 1}/{total} episodes  {rate:.0f}/s  ETA {eta:.0f}s ")
                sys.stdout.flush()
        self.stdout.write(f"\nseeded {total} episodes in {time.monotonic() - started:.1f}s")
