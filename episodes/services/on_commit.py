"""Work that follows a committed episode write, off the request path."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.db import transaction


def after_episode_change(episode_id: UUID | str, *, completed: bool = False) -> None:
    """Queue the embedding of a completed episode once the write has committed.

    The cache needs no hook: the sync engine's write-behind follows the
    change markers every write stamps.
    """
    if completed and settings.EMBEDDINGS_PROVIDER != "none":
        from django_q.tasks import async_task

        transaction.on_commit(
            lambda: async_task("episodes.tasks.episode_embed", str(episode_id), group="embeddings")
        )
