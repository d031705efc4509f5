"""Fixed-window counters shared by every worker process.

The per-minute request limit counts in a memory-mapped file (counters.py):
it runs on every request, and a database counter made even a GET a write
transaction. The daily episode quota counts in the database, inside the
creating transaction, so a refused creation rolls its count back: each
(key, rule, window) owns one row in ``memoryadmin_ratecounter`` bumped by
``INSERT .. ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count``.
Rows of windows that have ended are purged when a key opens a new window.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection

from memoryadmin.apikeys.counters import shared_hit
from memoryadmin.apikeys.errors import QuotaExceeded, RateLimitExceeded
from memoryadmin.apikeys.models import ApiKey, RateCounter

logger = logging.getLogger(__name__)
DEFAULT_PER_MINUTE = 600
DEFAULT_DAILY_EPISODES = 10_000
_TABLE = RateCounter._meta.db_table
_UPSERT = (
    f"INSERT INTO {_TABLE} (bucket, count, expires) VALUES (%s, 1, %s) "  # noqa: S608
    "ON CONFLICT (bucket) DO UPDATE SET count = count + 1 RETURNING count"
)


def counter_hit(*, bucket: str, expires: int) -> int:
    """Add one to a window's counter and return the new count."""
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [bucket, expires])
        count = int(cursor.fetchone()[0])
        if count == 1:  # a new window: drop the ended ones (indexed, once a window)
            cursor.execute(f"DELETE FROM {_TABLE} WHERE expires < %s", [int(time.time())])  # noqa: S608
    return count


_warned = False


def _warn_once(exc: OSError) -> None:
    global _warned
    if not _warned:
        _warned = True
        logger.warning("rate counters file unusable (%s); counting in the database", exc)


def rate_limit_per_minute(api_key: ApiKey) -> int:
    return api_key.rate_limit_per_minute or int(
        getattr(settings, "API_RATE_LIMIT_PER_MINUTE", DEFAULT_PER_MINUTE)
    )


def daily_episode_quota(api_key: ApiKey) -> int:
    return api_key.daily_episode_quota or int(
        getattr(settings, "API_DAILY_EPISODE_QUOTA", DEFAULT_DAILY_EPISODES)
    )


def rate_limit_check(*, api_key: ApiKey, now: float | None = None) -> int:
    """Count a request of this key; ``RateLimitExceeded`` past the per-minute limit."""
    now = time.time() if now is None else now
    window = int(now // 60) * 60
    limit = rate_limit_per_minute(api_key)
    # Named by the key's hash, not its row id: ids repeat across databases that
    # share a data directory (e.g. test runs), hashes of 256-bit secrets do not.
    bucket = f"{api_key.key_hash[:32]}:rpm:{window}"
    try:
        count = shared_hit(bucket=bucket, expires=window + 60, now=int(now))
    except OSError as exc:  # the data directory is not writable, the disk full, ...
        _warn_once(exc)
        count = None
    if count is None:  # no slot or no file: count in the database instead
        count = counter_hit(bucket=f"{api_key.pk}:rpm:{window}", expires=window + 60)
    if count > limit:
        raise RateLimitExceeded(
            f"rate limit of {limit} requests per minute exceeded for this API key",
            retry_after=window + 60 - int(now),
            extra={"limit": limit, "window_seconds": 60},
        )
    return count


def episode_quota_check(*, api_key: ApiKey, now: datetime | None = None) -> int:
    """Count an episode creation today (UTC); ``QuotaExceeded`` past the daily quota.

    Call it inside the creating transaction: a failed creation rolls the count back.
    """
    return daily_count_check(
        bucket=f"{api_key.pk}:episodes",
        quota=daily_episode_quota(api_key),
        what="episode creations used up for this API key",
        now=now,
    )


def daily_count_check(
    *, bucket: str, quota: int, what: str, now: datetime | None = None, **extra: str
) -> int:
    """Count one more in ``bucket`` today (UTC, in the caller's transaction);
    ``QuotaExceeded`` with the time it resets once the count passes ``quota``."""
    now = now or datetime.now(UTC)
    day = now.astimezone(UTC).date()
    tomorrow = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    count = counter_hit(bucket=f"{bucket}:{day.isoformat()}", expires=int(tomorrow.timestamp()))
    if count > quota:
        raise QuotaExceeded(
            f"daily quota of {quota} {what}",
            retry_after=int((tomorrow - now).total_seconds()) + 1,
            extra={"quota": quota, "resets_at": tomorrow.isoformat(), **extra},
        )
    return count
