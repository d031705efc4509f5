"""A namespace's daily episode quota (``Namespace.daily_episode_quota``; None: no limit).

Counted like a key's daily quota, in the database inside the creating
transaction (a failed creation rolls its count back); only namespaces that
have a quota pay for the count. The quota itself is read at most once a
minute per process.
"""

from __future__ import annotations

import time
from datetime import datetime

from memoryadmin.apikeys.ratelimit import daily_count_check
from memoryadmin.namespaces.models import Namespace

QUOTA_TTL_SECONDS = 60.0
_quotas: dict[int, tuple[int | None, float]] = {}


def namespace_daily_quota(*, namespace_id: int, now: float | None = None) -> int | None:
    now = time.monotonic() if now is None else now
    cached = _quotas.get(namespace_id)
    if cached is not None and now - cached[1] < QUOTA_TTL_SECONDS:
        return cached[0]
    quota = (
        Namespace.objects.filter(pk=namespace_id)
        .values_list("daily_episode_quota", flat=True)
        .first()
    )
    _quotas[namespace_id] = (quota, now)
    return quota


def namespace_quota_check(*, namespace_id: int, now: datetime | None = None) -> int | None:
    """Count an episode start in the namespace today (UTC); ``QuotaExceeded`` past its
    quota. Returns the count, or None when the namespace has no quota."""
    quota = namespace_daily_quota(namespace_id=namespace_id)
    if quota is None:
        return None
    return daily_count_check(
        bucket=f"ns{namespace_id}:episodes",
        quota=quota,
        what="episode starts used up for this namespace",
        now=now,
        scope="namespace",
    )
