"""Per-key rate limits (429 rate_limit_exceeded) and daily quotas (429 quota_exceeded)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from typing import Any

import pytest

from episodes.models import Episode
from memoryadmin.apikeys.errors import RateLimitExceeded
from memoryadmin.apikeys.models import ApiKey, RateCounter
from memoryadmin.apikeys.ratelimit import counter_hit, episode_quota_check, rate_limit_check
from memoryadmin.apikeys.services import api_key_create
from tests.api.conftest import EPISODE, Agent

pytestmark = pytest.mark.django_db


def test_rate_limit_answers_429_with_retry_after(make_agent: Callable[..., Agent]) -> None:
    agent = make_agent(rate_limit_per_minute=3)
    codes = [agent.send("GET", "/episodes").status_code for _ in range(4)]
    if codes[-1] == 200:  # the minute turned over mid-test: the window restarted
        codes = [agent.send("GET", "/episodes").status_code for _ in range(4)]
    assert codes[-1] == 429
    response = agent.send("GET", "/episodes")
    body = response.json()
    assert body["error"] == "rate_limit_exceeded" and body["extra"]["limit"] == 3
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["extra"]["retry_after"] == int(response["Retry-After"])


# A fixed moment 20 s into a minute: the checks below share one window, however slow.
IN_A_WINDOW = 1_900_000_040.0


def test_rate_limit_comes_from_settings(settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    api_key = api_key_create(name="default limit", scopes=["read"]).api_key
    assert rate_limit_check(api_key=api_key, now=IN_A_WINDOW) == 1
    with pytest.raises(RateLimitExceeded) as refused:
        rate_limit_check(api_key=api_key, now=IN_A_WINDOW)
    assert refused.value.extra["limit"] == 1 and refused.value.retry_after == 40


def test_rate_limit_is_per_key() -> None:
    noisy = api_key_create(name="noisy", scopes=["read"], rate_limit_per_minute=1).api_key
    quiet = api_key_create(name="quiet", scopes=["read"], rate_limit_per_minute=1).api_key
    assert rate_limit_check(api_key=noisy, now=IN_A_WINDOW) == 1
    with pytest.raises(RateLimitExceeded):
        rate_limit_check(api_key=noisy, now=IN_A_WINDOW)
    assert rate_limit_check(api_key=quiet, now=IN_A_WINDOW) == 1  # its own counter


def test_the_counter_is_one_shared_row_per_key_and_window() -> None:
    assert [counter_hit(bucket="k:rpm:60", expires=int(time.time()) + 60) for _ in range(3)] == [
        1,
        2,
        3,
    ]
    assert RateCounter.objects.get(bucket="k:rpm:60").count == 3


def test_ended_windows_are_purged() -> None:
    counter_hit(bucket="k:rpm:0", expires=1)
    counter_hit(bucket="k:rpm:now", expires=int(time.time()) + 60)
    assert not RateCounter.objects.filter(bucket="k:rpm:0").exists()


def test_daily_episode_quota_is_a_distinct_429(make_agent: Callable[..., Agent]) -> None:
    agent = make_agent(daily_episode_quota=2)
    codes = [agent.send("POST", "/episodes", EPISODE).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    response = agent.send("POST", "/episodes", EPISODE)
    body = response.json()
    assert body["error"] == "quota_exceeded" and body["extra"]["quota"] == 2
    # The quota resets at the next UTC midnight; Retry-After counts down to it.
    midnight = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), dt_time(), UTC)
    assert body["extra"]["resets_at"] == midnight.isoformat()
    to_midnight = (midnight - datetime.now(UTC)).total_seconds()
    assert to_midnight <= int(response["Retry-After"]) <= to_midnight + 2
    assert Episode.objects.count() == 2
    assert agent.send("GET", "/episodes").status_code == 200  # reads are not counted


def test_a_refused_creation_does_not_use_quota(make_agent: Callable[..., Agent]) -> None:
    agent = make_agent(daily_episode_quota=1)
    for _ in range(3):
        agent.send("POST", "/episodes", {**EPISODE, "task_description": "é" * 6000})  # 413
    assert agent.send("POST", "/episodes", EPISODE).status_code == 201


def test_quota_window_is_the_utc_day() -> None:
    api_key = api_key_create(name="q", scopes=["write"], daily_episode_quota=1).api_key
    late = datetime(2030, 1, 1, 23, 59, 59, tzinfo=UTC)
    assert episode_quota_check(api_key=api_key, now=late) == 1
    assert episode_quota_check(api_key=api_key, now=datetime(2030, 1, 2, tzinfo=UTC)) == 1


def test_session_users_are_not_rate_limited(settings: Any, admin_client: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    assert [admin_client.get("/api/v1/episodes").status_code for _ in range(3)] == [200] * 3
    assert not ApiKey.objects.exists()
