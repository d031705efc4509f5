"""The sync API: runs (start, the active one, idempotency, 503), validation, retries, freshness.

Runs are executed inline with ``sync_run_execute`` after the POST, as the
django-q2 task would; failures are planted through the engine (an episode
above SYNC_MAX_ITEM_BYTES), as in tests/sync/test_failures.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils.crypto import get_random_string
from django_q.models import OrmQ

from episodes.models import Episode, Heuristic, Pattern
from episodes.payloads import episode_payload
from hotcache.envelope import pack
from memoryadmin.apikeys.models import IdempotencyRecord
from sync.models import FailedItem, SyncRun
from sync.models.failures import FailedState
from sync.services import sync_run_execute
from sync.services.breaker import breaker_record_failure, breaker_reset, failure_threshold
from sync.services.runs import claim_run, release_run
from tests.api.conftest import API, Agent
from tests.factories import SUCCESS, make_episode, make_member, step
from tests.sync.conftest import seed, sync

pytestmark = pytest.mark.django_db

RUN = {"scope": "all", "dry_run": False, "force_full": False, "tags": [], "exclude": []}
COUNTS = {"new", "modified", "unchanged", "evicted", "removed", "failed", "excluded", "skipped"}


@pytest.fixture
def syncer(make_agent: Callable[..., Agent]) -> Agent:
    return make_agent(scopes=("read", "sync"))


@pytest.fixture
def admin(make_agent: Callable[..., Agent]) -> Agent:
    return make_agent(scopes=("admin",))


def _packed(episode: Episode) -> int:
    return len(episode.pk.hex) + len(pack(episode_payload(episode, episode.steps.all())))


@pytest.fixture
def failed_item(settings: Any) -> FailedItem:
    """One episode above SYNC_MAX_ITEM_BYTES: the run goes on, the item goes to the queue."""
    normal = seed(3)
    big = make_episode(
        description="a long one",
        steps=[step("pytest", observation=f"run {i}: " + "lorem ipsum " * 40) for i in range(40)],
        outcome=SUCCESS,
    )
    settings.SYNC_MAX_ITEM_BYTES = (max(_packed(e) for e in normal) + _packed(big)) // 2
    assert sync().status == "partial"
    return FailedItem.objects.get()


def _trip_breaker() -> None:
    for _ in range(failure_threshold()):
        breaker_record_failure("database is locked")


# -- starting runs ----------------------------------------------------------------------------


def test_start_queues_a_run_for_the_cluster(
    syncer: Agent, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = syncer.send("POST", "/sync/runs", {**RUN, "tags": ["Nightly"]})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["existing"] is False and body["note"] == ""
    assert body["trigger"] == "manual" and body["tags"] == ["nightly"]
    assert set(body["counts"]) == COUNTS and body["progress"] == {"done": 0, "total": 0}
    assert SyncRun.objects.get().pk == body["id"]
    assert OrmQ.objects.count() == 1  # handed to django-q2 once


def test_second_trigger_returns_the_active_run(
    syncer: Agent, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = syncer.send("POST", "/sync/runs", RUN).json()
        again = syncer.send("POST", "/sync/runs", RUN)
        other = syncer.send("POST", "/sync/runs", {**RUN, "dry_run": True}).json()
    assert again.status_code == 202
    assert again.json()["id"] == first["id"] and again.json()["existing"] is True
    assert "already queued" in again.json()["note"]
    assert other["id"] == first["id"] and "other options" in other["note"]
    assert SyncRun.objects.count() == 1 and OrmQ.objects.count() == 1
    claim_run(first["id"])  # a worker picks it up: now it is running
    try:
        running = syncer.send("POST", "/sync/runs", RUN).json()
    finally:
        release_run(first["id"])
    assert running["id"] == first["id"] and running["status"] == "running"
    assert running["existing"] is True and "already running" in running["note"]


def test_a_run_executed_inline_reports_counts_progress_and_validation(syncer: Agent) -> None:
    seed(6)
    run_id = syncer.send("POST", "/sync/runs", RUN).json()["id"]
    sync_run_execute(run_id=run_id)
    body = syncer.send("GET", f"/sync/runs/{run_id}").json()
    assert body["status"] == "succeeded", body["warnings"]
    # Every row is new to an empty cache: the episodes and what was learned from them.
    rows = Episode.objects.count() + Pattern.objects.count() + Heuristic.objects.count()
    assert Episode.objects.count() == 6 and body["counts"]["new"] == rows
    assert body["counts"]["failed"] == body["counts"]["modified"] == 0
    assert body["counts"]["skipped"] == body["counts"]["excluded"] == 0
    assert body["progress"]["done"] == body["progress"]["total"] == rows
    assert body["started_at"] and body["finished_at"] and body["duration_seconds"] is not None
    assert body["report"]["validation"]["passed"] is True
    latest = syncer.send("GET", "/sync/validation/latest")
    assert latest.status_code == 200 and latest.json()["run_id"] == run_id
    assert latest.json()["passed"] is True
    names = {c["name"] for c in latest.json()["checks"]}
    assert {"redb_integrity", "episode_count", "latest_present", "content_hashes"} <= names
    assert all(set(c) == {"name", "passed", "details"} for c in latest.json()["checks"])
    by_run = syncer.send("GET", f"/sync/validation/latest?run_id={run_id}").json()
    assert by_run["id"] == latest.json()["id"]


def test_exclude_rules_count_as_skipped(syncer: Agent) -> None:
    seed(6)  # every third episode is in the "payments" domain
    run_id = syncer.send("POST", "/sync/runs", {**RUN, "exclude": ["domain:payments"]}).json()["id"]
    sync_run_execute(run_id=run_id)
    body = syncer.send("GET", f"/sync/runs/{run_id}").json()
    assert body["exclude"] == ["domain:payments"]
    assert body["counts"]["skipped"] == body["counts"]["excluded"] == 2


def test_idempotency_key_replays_the_first_reply(
    syncer: Agent, django_capture_on_commit_callbacks: Any
) -> None:
    key = {"Idempotency-Key": "sync-1"}
    with django_capture_on_commit_callbacks(execute=True):
        first = syncer.send("POST", "/sync/runs", RUN, **key)
        second = syncer.send("POST", "/sync/runs", RUN, **key)
    assert OrmQ.objects.count() == 1  # queued once, after the first reply committed
    assert first.status_code == second.status_code == 202
    assert first.content == second.content and second["Idempotent-Replayed"] == "true"
    assert second.json()["existing"] is False  # the first reply, not "already queued"
    reused = syncer.send("POST", "/sync/runs", {**RUN, "dry_run": True}, **key)
    assert reused.status_code == 422 and reused.json()["error"] == "idempotency_key_reused"
    assert SyncRun.objects.count() == 1


def test_database_down_is_503_with_retry_after_and_nothing_stored(syncer: Agent) -> None:
    _trip_breaker()
    response = syncer.send("POST", "/sync/runs", RUN, **{"Idempotency-Key": "down"})
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "unavailable" and "database unavailable" in body["message"]
    assert body["extra"]["status"] == "skipped" and body["extra"]["breaker"]["state"] == "open"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert int(response["Retry-After"]) == body["extra"]["retry_after"]
    assert not SyncRun.objects.exists() and not IdempotencyRecord.objects.exists()
    breaker_reset()  # the database is back: the same key now starts the run
    retried = syncer.send("POST", "/sync/runs", RUN, **{"Idempotency-Key": "down"})
    assert retried.status_code == 202 and "Idempotent-Replayed" not in retried


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**RUN, "exclude": ["colour:red"]}, 400, "exclude"),
        ({**RUN, "scope": "everything"}, 422, "scope"),
        ({**RUN, "dry_run": "yes"}, 422, "dry_run"),
        ({**RUN, "batch_size": 0}, 422, "batch_size"),
        ({**RUN, "tags": [""]}, 422, "tags.0"),
        ({**RUN, "surprise": 1}, 422, "surprise"),
    ],
)
def test_bad_run_requests(syncer: Agent, body: dict, status: int, field: str) -> None:
    response = syncer.send("POST", "/sync/runs", body)
    assert response.status_code == status, response.content
    assert response.json()["extra"]["field"] == field
    assert not SyncRun.objects.exists()


def test_malformed_json_is_400(syncer: Agent) -> None:
    for path in ("/sync/runs", "/sync/verify"):
        response = syncer.post(API + path, "{", content_type="application/json")
        assert response.status_code == 400 and response.json()["error"] == "bad_request"


# -- reading runs -----------------------------------------------------------------------------


def test_list_runs_with_filters_and_pages(syncer: Agent) -> None:
    seed(2)
    real = sync(tags=["nightly"])
    dry = sync(dry_run=True)
    listed = syncer.send("GET", "/sync/runs").json()
    assert [r["id"] for r in listed] == [dry.pk, real.pk]
    assert "report" not in listed[0] and "preview" not in listed[0]

    def ids(query: str) -> list[int]:
        response = syncer.send("GET", f"/sync/runs?{query}")
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()]

    assert ids("dry_run=true") == [dry.pk]
    assert ids("status=succeeded&trigger=manual") == [dry.pk, real.pk]
    assert ids("status=failed") == []
    assert ids("trigger=periodic") == []
    assert ids("tag=nightly") == [real.pk]
    assert ids("limit=1&offset=1") == [real.pk]
    detail = syncer.send("GET", f"/sync/runs/{dry.pk}").json()
    assert detail["dry_run"] is True and "estimate" in detail["preview"]
    for query in ("status=done", "limit=0", "offset=-1"):
        assert syncer.send("GET", f"/sync/runs?{query}").status_code == 422, query


def test_unknown_run_is_404(syncer: Agent) -> None:
    response = syncer.send("GET", "/sync/runs/424242")
    assert response.status_code == 404 and response.json()["extra"]["field"] == "run_id"
    assert syncer.send("GET", "/sync/runs/0").status_code == 422


# -- validation -------------------------------------------------------------------------------


def test_validation_latest_is_404_before_any_report(syncer: Agent) -> None:
    response = syncer.send("GET", "/sync/validation/latest")
    assert response.status_code == 404 and "POST /api/v1/sync/verify" in response.json()["message"]
    assert syncer.send("GET", "/sync/validation/latest?run_id=7").status_code == 404


def test_verify_runs_inline(syncer: Agent) -> None:
    seed(3)
    sync()
    for full in (False, True):
        response = syncer.send("POST", "/sync/verify", {"full": full})
        assert response.status_code == 200, response.content
        report = response.json()
        assert report["passed"] is True and report["full"] is full and report["run_id"] is None
        content = next(c for c in report["checks"] if c["name"] == "content_hashes")
        assert content["details"]["full"] is full and content["details"]["mismatches"] == 0
    assert syncer.send("GET", "/sync/validation/latest").json()["id"] == report["id"]
    assert syncer.send("POST", "/sync/verify", {"full": 1}).status_code == 422
    assert syncer.send("POST", "/sync/verify", {}).json()["full"] is False


def test_verify_reports_a_damaged_cache(syncer: Agent) -> None:
    seed(3)
    sync()
    Episode.objects.filter(pk=Episode.objects.first().pk).update(content_hash="0" * 64)
    report = syncer.send("POST", "/sync/verify", {"full": True}).json()
    assert report["passed"] is False and "content_hashes" in report["summary"]


def test_verify_is_503_while_the_database_is_down(syncer: Agent) -> None:
    _trip_breaker()
    response = syncer.send("POST", "/sync/verify", {"full": False})
    # The breaker just opened for its first cool-down (60 s by default).
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert response.json()["extra"]["breaker"]["state"] == "open"


# -- the retry queue --------------------------------------------------------------------------


def test_failed_items_are_listed_and_filtered(syncer: Agent, failed_item: FailedItem) -> None:
    listed = syncer.send("GET", "/sync/failed").json()
    assert [i["id"] for i in listed] == [failed_item.pk]
    item = listed[0]
    assert item["kind"] == "episode" and item["state"] == "pending"
    assert item["error_class"] == "ItemTooLarge" and "SYNC_MAX_ITEM_BYTES" in item["remediation"]
    assert item["attempts"] == 1 and item["next_attempt_at"] and item["run_id"]

    def count(query: str) -> int:
        response = syncer.send("GET", f"/sync/failed?{query}")
        assert response.status_code == 200, response.content
        return len(response.json())

    assert count("state=pending&kind=episode&error_class=ItemTooLarge") == 1
    assert count(f"open_only=true&run_id={failed_item.run_id}") == 1
    assert count("state=dead_letter") == count("kind=pattern") == 0
    assert count("error_class=CorruptVector") == 0
    assert count("offset=1") == 0
    assert syncer.send("GET", "/sync/failed?state=broken").status_code == 422


def test_retry_writes_the_item_once_it_is_fixed(
    syncer: Agent, failed_item: FailedItem, settings: Any
) -> None:
    still = syncer.send("POST", f"/sync/failed/{failed_item.pk}/retry")
    assert still.status_code == 200 and still.json()["attempts"] == 2
    assert still.json()["state"] == "pending"
    settings.SYNC_MAX_ITEM_BYTES = 10**7
    fixed = syncer.send("POST", f"/sync/failed/{failed_item.pk}/retry")
    assert fixed.status_code == 200 and fixed.json()["state"] == "resolved"
    assert fixed.json()["closed_at"]
    closed = syncer.send("POST", f"/sync/failed/{failed_item.pk}/retry")
    assert closed.status_code == 409 and closed.json()["extra"]["state"] == "resolved"
    assert syncer.send("POST", "/sync/failed/424242/retry").status_code == 404


def test_retry_is_409_while_a_run_is_active(syncer: Agent, failed_item: FailedItem) -> None:
    assert syncer.send("POST", "/sync/runs", RUN).status_code == 202
    response = syncer.send("POST", f"/sync/failed/{failed_item.pk}/retry")
    assert response.status_code == 409 and "in progress" in response.json()["message"]


def test_dismiss_needs_the_admin_scope(
    syncer: Agent, admin: Agent, failed_item: FailedItem
) -> None:
    refused = syncer.send("POST", f"/sync/failed/{failed_item.pk}/dismiss")
    assert refused.status_code == 403 and refused.json()["extra"]["scope"] == "admin"
    done = admin.send("POST", f"/sync/failed/{failed_item.pk}/dismiss")
    assert done.status_code == 200 and done.json()["state"] == "dismissed"
    assert FailedItem.objects.get().state == FailedState.DISMISSED
    again = admin.send("POST", f"/sync/failed/{failed_item.pk}/dismiss")
    assert again.status_code == 409
    assert admin.send("POST", f"/sync/failed/{failed_item.pk}/retry").status_code == 409
    assert admin.send("POST", "/sync/failed/424242/dismiss").status_code == 404


# -- freshness --------------------------------------------------------------------------------


def test_freshness_before_and_after_a_sync(syncer: Agent) -> None:
    seed(2)
    before = syncer.send("GET", "/sync/freshness").json()
    assert before["in_step"] is False and before["lag_seconds"] is None
    assert before["stale"] is True and before["last_good_run"] is None
    assert before["breaker"]["state"] == "closed"
    run = sync()
    after = syncer.send("GET", "/sync/freshness").json()
    assert after["in_step"] is True and after["lag_seconds"] == 0 and after["stale"] is False
    assert after["pending_changes"] == 0 and after["last_good_run"]["id"] == run.pk
    _trip_breaker()
    tripped = syncer.send("GET", "/sync/freshness").json()["breaker"]
    assert tripped["state"] == "open" and tripped["retry_at"] and tripped["last_error"]


# -- who may call what ------------------------------------------------------------------------

READS = [("GET", "/sync/runs"), ("GET", "/sync/freshness"), ("GET", "/sync/failed")]
SYNCS = [("POST", "/sync/runs"), ("POST", "/sync/verify"), ("POST", "/sync/failed/1/retry")]
ADMINS = [("POST", "/sync/failed/1/dismiss")]
BODIES = {"/sync/runs": RUN, "/sync/verify": {"full": False}}
# What each call answers once past the scope check (failed item 1 does not exist).
ALLOWED_STATUS = {
    ("GET", "/sync/runs"): 200,
    ("GET", "/sync/freshness"): 200,
    ("GET", "/sync/failed"): 200,
    ("POST", "/sync/runs"): 202,
    ("POST", "/sync/verify"): 200,
    ("POST", "/sync/failed/1/retry"): 404,
    ("POST", "/sync/failed/1/dismiss"): 404,
}


@pytest.mark.parametrize(
    ("scopes", "allowed"),
    [
        (("read",), READS),
        (("write",), READS),  # write implies read
        (("sync",), SYNCS),  # sync does not imply read
        (("read", "sync"), READS + SYNCS),
        (("admin",), READS + SYNCS + ADMINS),
    ],
)
def test_scopes(make_agent: Callable[..., Agent], scopes: tuple[str, ...], allowed: list) -> None:
    agent = make_agent(scopes=scopes)
    for method, path in READS + SYNCS + ADMINS:
        response = agent.send(method, path, BODIES.get(path))
        if (method, path) in allowed:
            expected = ALLOWED_STATUS[method, path]
            assert response.status_code == expected, (method, path, response.content)
            if expected == 404:
                assert response.json()["extra"]["field"] == "item_id"
        else:
            assert response.status_code == 403, (method, path)
            assert response.json()["error"] == "forbidden"


def test_every_endpoint_needs_credentials(client: Client) -> None:
    for method, path in [*READS, *SYNCS, *ADMINS, ("GET", "/sync/validation/latest")]:
        response = getattr(client, method.lower())(API + path)
        assert response.status_code == 401, (method, path)
        assert response.json()["error"] == "unauthorized"


def _session(username: str, group: str) -> tuple[Client, dict[str, str]]:
    user = get_user_model().objects.create_user(username, password="pw-123456")
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    make_member(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = get_random_string(32)
    client.cookies["csrftoken"] = token
    return client, {"X-CSRFToken": token}


def test_operator_session_syncs_and_retries_but_may_not_dismiss(failed_item: FailedItem) -> None:
    operator, csrf = _session("op", "operator")
    no_token = operator.post(f"{API}/sync/runs", RUN, content_type="application/json")
    assert no_token.status_code == 403  # the CSRF check
    started = operator.post(f"{API}/sync/runs", RUN, content_type="application/json", headers=csrf)
    assert started.status_code == 202 and started.json()["triggered_by"] == "op"
    sync_run_execute(run_id=started.json()["id"])
    retried = operator.post(f"{API}/sync/failed/{failed_item.pk}/retry", headers=csrf)
    assert retried.status_code == 200 and retried.json()["retried_by"] == "op"
    refused = operator.post(f"{API}/sync/failed/{failed_item.pk}/dismiss", headers=csrf)
    assert refused.status_code == 403 and refused.json()["extra"]["scope"] == "admin"
    boss, csrf = _session("boss", "admin")
    dismissed = boss.post(f"{API}/sync/failed/{failed_item.pk}/dismiss", headers=csrf)
    assert dismissed.status_code == 200 and dismissed.json()["dismissed_by"] == "boss"
