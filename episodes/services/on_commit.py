"""Work that follows a committed episode write, announced off the request path."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction

from episodes.signals import episode_changed


def after_episode_change(episode_id: UUID | str, *, completed: bool = False) -> None:
    """After the write commits, send ``episode_changed`` (a rolled-back write sends nothing)."""
    episode_hex = episode_id.hex if isinstance(episode_id, UUID) else UUID(str(episode_id)).hex
    transaction.on_commit(
        lambda: episode_changed.send(
            sender=after_episode_change, episode_id=episode_hex, completed=completed
        )
    )
