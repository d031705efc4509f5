"""Sync, validation, retry queue, API keys and audit pages: roles, fragments, actions."""

from __future__ import annotations

import pytest
from django.test import Client
from django_q.models import OrmQ

from episodes.models import Episode
from memoryadmin.apikeys.models import ApiKey
from memoryadmin.audit.models import AuditEvent
from sync.models import FailedItem, SyncRun, ValidationReport
from sync.services import sync_run_execute, sync_run_start, sync_verify
from tests.factories import SUCCESS, make_episode, step

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
ADMIN_ONLY = ["/sync/failed/", "/keys/", "/audit/"]


@pytest.fixture
def synced() -> SyncRun:
    for i in range(3):
        make_episode(description=f"task {i}", steps=[step()], outcome=SUCCESS)
    run = sync_run_start()
    sync_run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


@pytest.fixture
def failed_item(synced: SyncRun) -> FailedItem:
    # A real episode's key: the retry queue shows the items of the console's namespace.
    episode = Episode.objects.order_by("started_at").first()
    assert episode is not None
    return FailedItem.objects.create(
        kind="episode",
        key=episode.pk.hex,
        error_class="PayloadTooLarge",
        error_message="too big",
        remediation="shrink it",
        state="dead_letter",
        run=synced,
    )


def test_operator_pages(operator_client: Client, synced: SyncRun) -> None:
    report = ValidationReport.objects.latest("created_at")
    for url in [
        "/sync/",
        f"/sync/runs/{synced.pk}/",
        "/sync/validation/",
        f"/sync/validation/{report.pk}/",
    ]:
        assert operator_client.get(url).status_code == 200, url
    body = operator_client.get(f"/sync/runs/{synced.pk}/").content.decode()
    assert "succeeded" in body and 'id="run-progress"' in body


def test_admin_only_pages_refuse_operators_with_403(
    operator_client: Client, admin_client_: Client, failed_item
) -> None:
    for url in ADMIN_ONLY:
        assert operator_client.get(url).status_code == 403, url
        assert admin_client_.get(url).status_code == 200, url
    assert (
        operator_client.post(
            "/sync/failed/action", {"action": "dismiss", "item_ids": [failed_item.pk]}
        ).status_code
        == 403
    )
    assert operator_client.post("/sync/rebuild").status_code == 403
    assert operator_client.post("/keys/", {"name": "x", "scopes": ["read"]}).status_code == 403
    failed_item.refresh_from_db()
    assert failed_item.state == "dead_letter"


def test_sync_now_queues_a_run_and_progress_polling_stops_when_done(
    operator_client: Client,
) -> None:
    make_episode(steps=[step()], outcome=SUCCESS)
    response = operator_client.post("/sync/run", {"scope": "all"}, follow=True)
    run = SyncRun.objects.get()
    assert f"Sync run #{run.pk} queued." in response.content.decode()
    assert [t.func() for t in OrmQ.objects.all()] == ["sync.tasks.sync_run_task"]
    polling = operator_client.get(f"/sync/runs/{run.pk}/progress", **HX)
    assert polling.status_code == 200 and 'hx-trigger="every 1s"' in polling.content.decode()
    sync_run_execute(run_id=run.pk)
    done = operator_client.get(f"/sync/runs/{run.pk}/progress", **HX)
    assert done.status_code == 286  # htmx: stop polling
    assert "succeeded" in done.content.decode() and "every 1s" not in done.content.decode()
    assert AuditEvent.objects.filter(action="sync.trigger", actor_label="olive").exists()


def test_dry_run_shows_its_preview(operator_client: Client) -> None:
    make_episode(steps=[step()], outcome=SUCCESS)
    operator_client.post("/sync/run", {"scope": "all", "dry_run": "on"})
    run = SyncRun.objects.get()
    sync_run_execute(run_id=run.pk)
    body = operator_client.get(f"/sync/runs/{run.pk}/").content.decode()
    assert 'id="dry-run-preview"' in body


def test_verify_button_records_a_report(operator_client: Client, synced) -> None:
    response = operator_client.post("/sync/verify", {"full": "on"}, follow=True)
    report = ValidationReport.objects.latest("created_at")
    assert report.full and report.passed
    assert 'id="validation-checks"' in response.content.decode()


def test_retry_queue_groups_filters_and_actions(
    admin_client_: Client, failed_item: FailedItem
) -> None:
    page = admin_client_.get("/sync/failed/").content.decode()
    assert "PayloadTooLarge" in page and "— 1" in page
    fragment = admin_client_.get("/sync/failed/", {"state": "dead_letter"}, **HX).content.decode()
    assert 'id="failed-table"' in fragment and "<html" not in fragment
    assert failed_item.key in fragment
    response = admin_client_.post(
        "/sync/failed/action", {"action": "dismiss", "item_ids": [failed_item.pk]}, follow=True
    )
    assert "Dismissed 1 of 1 items." in response.content.decode()
    failed_item.refresh_from_db()
    assert failed_item.state == "dismissed"


def test_api_key_is_shown_once_and_revoked(admin_client_: Client) -> None:
    response = admin_client_.post("/keys/", {"name": "deploy bot", "scopes": ["read", "write"]})
    body = response.content.decode()
    key = ApiKey.objects.get(name="deploy bot")
    assert 'id="new-key-secret"' in body and key.prefix in body
    assert 'id="new-key-secret"' not in admin_client_.get("/keys/").content.decode()
    admin_client_.post(f"/keys/{key.pk}/revoke")
    key.refresh_from_db()
    assert key.revoked_at is not None
    log = admin_client_.get("/audit/", {"action": "key."}, **HX).content.decode()
    assert "key.create" in log and "key.revoke" in log and "ada" in log


def test_bad_key_form_is_a_400_with_the_field(admin_client_: Client) -> None:
    response = admin_client_.post("/keys/", {"name": "", "scopes": []})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_verify_with_no_cache_reports_failure_not_500(operator_client: Client) -> None:
    sync_verify(full=False)
    assert operator_client.get("/sync/validation/").status_code == 200
