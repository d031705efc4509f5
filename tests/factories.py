"""Builders of realistic data through the real services (no ORM shortcuts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from episodes.models import Episode
from episodes.services import episode_complete, episode_log_steps, episode_start
from memoryadmin.namespaces.models import Namespace
from memoryadmin.namespaces.selectors import namespace_default
from memoryadmin.namespaces.services import namespace_member_add


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


def default_namespace_id() -> int:
    """The id of "default" (made by migration): where tests act unless they say otherwise."""
    return namespace_default().pk


def make_member(user: Any, *, namespace: Namespace | None = None) -> Any:
    """Let a console user act in ``namespace`` ("default" unless given), as migration
    0004 made every user who existed then; admins need no membership."""
    namespace_member_add(namespace=namespace or namespace_default(), member=user)
    return user


def make_episode(
    *,
    namespace_id: int | None = None,
    scope: dict[str, Any] | None = None,
    description: str = "fix the flaky login test",
    task_type: str = "debugging",
    context: dict[str, Any] | None = None,
    steps: list[dict[str, Any]] | None = None,
    outcome: dict[str, Any] | None = None,
    started_at: datetime | None = None,
    duration: timedelta = timedelta(minutes=2),
) -> Episode:
    if namespace_id is None:
        namespace_id = default_namespace_id()
    started_at = started_at or timezone.now() - duration
    episode = episode_start(
        namespace_id=namespace_id,
        scope=scope,
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
        episode_log_steps(episode_id=episode.pk, namespace_id=namespace_id, steps=steps)
    if outcome is not None:
        episode = episode_complete(
            episode_id=episode.pk,
            namespace_id=namespace_id,
            outcome=outcome,
            ended_at=started_at + duration,
        )
    else:
        episode.refresh_from_db()
    return episode


SUCCESS = {"kind": "success", "verdict": "tests pass", "artifacts": ["fix.patch"]}
FAILURE = {"kind": "failure", "reason": "could not reproduce", "error_details": "timeout"}
