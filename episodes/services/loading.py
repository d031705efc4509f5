from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError

from episodes.models import Episode
from memoryadmin.exceptions import NotFound


def episode_for_update(episode_id: UUID | str) -> Episode:
    """The live episode with this id, or a 404-class error naming it."""
    try:
        episode = Episode.objects.get(pk=episode_id)
    except (Episode.DoesNotExist, ValidationError, ValueError):
        raise NotFound(
            f"episode {episode_id} does not exist", extra={"field": "episode_id"}
        ) from None
    if episode.deleted_at is not None:
        raise NotFound(f"episode {episode_id} was deleted", extra={"field": "episode_id"})
    return episode
