"""Every console page, with and without HX-Request, for anonymous, operator and admin."""

from __future__ import annotations

import pytest
from django.test import Client

from sync.models import FailedItem, ValidationReport
from sync.services import sync_run_execute, sync_run_start
from tests.factories import SUCCESS, make_episode, step

pytestmark = pytest.mark.django_db

FRAGMENT_IDS = {
    "/episodes/": "episode-table",
    "/episodes/patterns/": "pattern-table",
    "/episodes/heuristics/": "heuristic-table",
    "/episodes/retrieval/?description=login": "retrieval-results",
    "/sync/failed/": "failed-table",
    "/audit/": "audit-table",
}


@pytest.fixture
def pages() -> dict[str, list[str]]:
    episode = make_episode(
        description="fix login", steps=[step("grep"), step("pytest")], outcome=SUCCESS
    )
    run = sync_run_start()
    sync_run_execute(run_id=run.pk)
    FailedItem.objects.create(kind="episode", key="k", error_class="E", error_message="m")
    pattern, heuristic = episode.patterns.first(), episode.heuristics.first()
    report = ValidationReport.objects.latest("created_at")
    operator_pages = [
        "/", "/episodes/", f"/episodes/{episode.pk}/", "/episodes/patterns/",
        f"/episodes/patterns/{pattern.pk}/", "/episodes/heuristics/",
        f"/episodes/heuristics/{heuristic.pk}/", "/episodes/retrieval/?description=login",
        "/sync/", f"/sync/runs/{run.pk}/", f"/sync/runs/{run.pk}/progress", "/sync/validation/",
        f"/sync/validation/{report.pk}/",
    ]  # fmt: skip
    admin_pages = ["/sync/failed/", "/keys/", "/audit/", "/admin/"]
    return {"operator": operator_pages, "admin": admin_pages}


@pytest.mark.parametrize("htmx", [False, True])
def test_every_page_for_every_role(
    client: Client, operator_client: Client, admin_client_: Client, pages, htmx: bool
) -> None:
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for url in pages["operator"] + pages["admin"]:
        anonymous = client.get(url, **headers)
        assert anonymous.status_code == 302 and "login" in anonymous["Location"], url
    for url in pages["operator"]:
        response = operator_client.get(url, **headers)
        # 286 = htmx "stop polling": the progress fragment of a finished run.
        expected = 286 if htmx and url.endswith("/progress") else 200
        assert response.status_code == expected, url
        body = response.content.decode()
        path = url if url in FRAGMENT_IDS else None
        if htmx and path:
            assert f'id="{FRAGMENT_IDS[path]}"' in body and "<html" not in body, url
        elif not url.endswith("/progress"):
            assert "<html" in body, url
    for url in pages["admin"]:
        refused, response = operator_client.get(url, **headers), admin_client_.get(url, **headers)
        if url == "/admin/":
            # The Django admin is for staff: neither console role is, so both go to its login.
            for answer in (refused, response):
                assert answer.status_code == 302, url
                assert answer["Location"] == "/admin/login/?next=/admin/", url
            continue
        assert refused.status_code == 403, url
        assert response.status_code == 200, url
        if htmx and url in FRAGMENT_IDS:
            assert f'id="{FRAGMENT_IDS[url]}"' in response.content.decode(), url
