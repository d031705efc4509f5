"""The episodes app's own answers to its signals (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def queue_embedding(*, episode_id: str, completed: bool, **_: Any) -> None:
    """Embed a completed episode in the cluster (off the request path)."""
    if not completed or settings.EMBEDDINGS_PROVIDER == "none":
        return
    # django_q's task module loads its models: imported at call time, so this module
    # can be imported (and connected) by apps.py while the app registry is loading.
    from django_q.tasks import async_task

    async_task("episodes.tasks.episode_embed", episode_id, group="embeddings")
