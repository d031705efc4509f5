"""The product's settings with a circuit breaker that cools down in seconds, not minutes,
so the unreachable-database scenario can watch it open and close within its time budget."""

from config.settings import *  # noqa: F403

SYNC_BREAKER_BACKOFF_SECONDS = 1
SYNC_BREAKER_COOLDOWN_SECONDS = 3
SYNC_BREAKER_MAX_COOLDOWN_SECONDS = 10
