"""Writes of the episodes app (see ../shared/STYLE.md: services write, selectors read)."""

from episodes.services.lifecycle import (
    episode_complete,
    episode_log_steps,
    episode_start,
)
from episodes.services.management import (
    episode_archive,
    episode_soft_delete,
    episode_update,
    episodes_bulk_archive,
    episodes_bulk_delete,
    episodes_bulk_tag,
)

__all__ = [
    "episode_archive",
    "episode_complete",
    "episode_log_steps",
    "episode_soft_delete",
    "episode_start",
    "episode_update",
    "episodes_bulk_archive",
    "episodes_bulk_delete",
    "episodes_bulk_tag",
]
