"""Builders of realistic data through the real services (no ORM shortcuts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from episodes.models import Episode
from episodes.services import episode_complete, episode_log_steps, episode_start


def step(tool: str = "pytest", success: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "tool": tool,
        "action": extra.pop("action", f"run {tool}"),
        "parameters": extra.pop("parameters", {}),
        "success": success,
        "latency_ms": extra.pop("latency_ms", 120),
        "tokens": extra.pop("tokens", 40),
        "observation": extra.pop("observation", "ok" if success else "failed"),
        **extra,
    }


def make_episode(
    *,
    description: str = "fix the flaky login test",
    task_type: str = "debugging",
    context: dict[str, Any] | None = None,
    steps: list[dict[str, Any]] | None = None,
    outcome: dict[str, Any] | None = None,
    started_at: datetime | None = None,
    duration: timedelta = timedelta(minutes=2),
) -> Episode:
    started_at = started_at or timezone.now() - duration
    episode = episode_start(
        task_description=description,
        task_type=task_type,
        context=context
        if context is not None
        else {
            "language": "python",
            "framework": "django",
            "domain": "web",
            "complexity": "moderate",
        },
        started_at=started_at,
    )
    if steps:
        episode_log_steps(episode_id=episode.pk, steps=steps)
    if outcome is not None:
        episode = episode_complete(
            episode_id=episode.pk, outcome=outcome, ended_at=started_at + duration
        )
    else:
        episode.refresh_from_db()
    return episode


SUCCESS = {"kind": "success", "verdict": "tests pass", "artifacts": ["fix.patch"]}
FAILURE = {"kind": "failure", "reason": "could not reproduce", "error_details": "timeout"}
