"""The episodes app's own answers to its signals (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_q.tasks import async_task


def queue_embedding(*, episode_id: str, completed: bool, **_: Any) -> None:
    """Embed a completed episode in the cluster (off the request path)."""
    if completed and settings.EMBEDDINGS_PROVIDER != "none":
        async_task("episodes.tasks.episode_embed", episode_id, group="embeddings")
