"""Console pages of episodes: each with and without HX-Request, and each role."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from episodes.models import Episode, Heuristic, Pattern
from tests.factories import FAILURE, SUCCESS, make_episode, make_member, step

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def data() -> dict[str, Episode]:
    return {
        "ok": make_episode(
            description="fix login redirect loop",
            context={"domain": "web", "language": "python", "tags": ["auth"]},
            steps=[step("grep"), step("pytest", success=False), step("pytest")],
            outcome=SUCCESS,
        ),
        "bad": make_episode(
            description="stripe webhook retries",
            context={"domain": "payments"},
            steps=[step("curl", success=False)],
            outcome=FAILURE,
        ),
    }


def page_urls(data: dict[str, Episode]) -> list[str]:
    pattern, heuristic = Pattern.objects.first(), Heuristic.objects.first()
    return [
        "/",
        "/episodes/",
        f"/episodes/{data['ok'].pk}/",
        "/episodes/patterns/",
        f"/episodes/patterns/{pattern.pk}/",
        "/episodes/heuristics/",
        f"/episodes/heuristics/{heuristic.pk}/",
        "/episodes/retrieval/?description=login+redirect",
        "/episodes/export.jsonl",
    ]


def test_anonymous_users_are_sent_to_login(client: Client, data) -> None:
    for url in page_urls(data):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


def test_login_page_renders(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200 and b'name="password"' in response.content


def test_users_without_a_role_get_403(client: Client, data) -> None:
    # A member of "default", so the 403 is for the missing role, not the namespace.
    client.force_login(make_member(User.objects.create_user("nobody", password="x")))
    assert client.get("/episodes/").status_code == 403


def test_operator_sees_every_page(operator_client: Client, data) -> None:
    for url in page_urls(data):
        response = operator_client.get(url)
        assert response.status_code == 200, url


def test_episode_list_full_page_and_fragment(operator_client: Client, data) -> None:
    full = operator_client.get("/episodes/", {"domain": "payments"})
    assert b"<html" in full.content and b"stripe webhook retries" in full.content
    assert b"fix login redirect loop" not in full.content
    fragment = operator_client.get("/episodes/", {"text": "login"}, **HX)
    body = fragment.content.decode()
    assert not body.lstrip().startswith("<!doctype") and 'id="episode-table"' in body
    assert "fix login redirect loop" in body and "stripe" not in body


def test_fragments_of_lists_and_playground(operator_client: Client, data) -> None:
    for url, marker in [
        ("/episodes/patterns/?kind=tool_sequence", 'id="pattern-table"'),
        ("/episodes/heuristics/?text=grep", 'id="heuristic-table"'),
        ("/episodes/retrieval/?description=login", 'id="retrieval-results"'),
    ]:
        body = operator_client.get(url, **HX).content.decode()
        assert marker in body and "<html" not in body, url


def test_detail_shows_timeline_reward_chart_and_cache_state(operator_client: Client, data) -> None:
    body = operator_client.get(f"/episodes/{data['ok'].pk}/").content.decode()
    assert "#2 pytest" in body and "chart-reward-breakdown" in body
    assert 'id="cache-state"' in body and "plotly/plotly.min.js" in body
    assert "cdn" not in body.lower()


def test_bad_filters_do_not_500(operator_client: Client, data) -> None:
    assert operator_client.get("/episodes/", {"cursor": "###"}).status_code == 200
    assert operator_client.get("/episodes/", {"started_after": "not a date"}).status_code == 200
    assert operator_client.get(f"/episodes/{'0' * 32}/").status_code == 404


def test_export_streams_jsonl(operator_client: Client, data) -> None:
    response = operator_client.get("/episodes/export.jsonl", {"verdict": "success"})
    lines = b"".join(response.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert [json.loads(line)["task_description"] for line in lines] == ["fix login redirect loop"]


def test_bulk_actions_are_admin_only_and_report_counts(
    operator_client: Client, admin_client_: Client, data
) -> None:
    ids = [str(data["ok"].pk), str(data["bad"].pk)]
    denied = operator_client.post("/episodes/bulk", {"action": "archive", "episode_ids": ids})
    assert denied.status_code == 403
    assert not Episode.objects.filter(archived_at__isnull=False).exists()
    response = admin_client_.post(
        "/episodes/bulk", {"action": "tag", "tag": "auth", "episode_ids": ids}, follow=True
    )
    assert "Tagged 1 of 2 selected episodes." in response.content.decode()  # one had it already
    admin_client_.post("/episodes/bulk", {"action": "delete", "episode_ids": ids[1:]})
    assert Episode.objects.get(pk=data["bad"].pk).deleted_at is not None


def test_bulk_post_requires_csrf(admin_user: User, data) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(
        "/episodes/bulk", {"action": "archive", "episode_ids": [str(data["ok"].pk)]}
    )
    assert response.status_code == 403
    assert Episode.objects.get(pk=data["ok"].pk).archived_at is None
