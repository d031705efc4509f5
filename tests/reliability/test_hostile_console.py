"""Hostile posts to the console's actions: the form's own error, never a 500, nothing
changed, and ``next`` only ever leads inside the site."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client

from episodes.models import Episode
from memoryadmin.redirects import safe_next
from tests.factories import make_episode
from tests.reliability.conftest import logged_in, snapshot

pytestmark = pytest.mark.django_db

BULK, FAILED = "/episodes/bulk", "/sync/failed/action"
OUTSIDE = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https:/evil.example/",
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\t/evil.example/",
    "/episodes/\r\nSet-Cookie: stolen=1",
    "http://testserver.evil.example/",
]


@pytest.fixture(params=[False, True], ids=["plain", "htmx"])
def admin(request: Any, admin_user: User) -> Client:
    headers = {"HX-Request": "true"} if request.param else {}
    return logged_in(admin_user, headers=headers)


def _said(response: Any) -> list[str]:
    """The messages the last request added (a loop's earlier ones are still queued)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1:]


def _post(client: Client, path: str, data: dict[str, Any]) -> tuple[Any, list[str]]:
    before = snapshot()
    response = client.post(path, data)
    assert response.status_code == 302, response.content[:500]
    assert snapshot() == before
    return response, _said(response)


def test_a_51st_tag_refuses_the_whole_action(admin: Client) -> None:
    roomy = make_episode()
    roomy.tags = [f"t{i}" for i in range(40)]
    roomy.save()
    full = make_episode()
    full.tags = [f"t{i}" for i in range(50)]
    full.save()
    data = {"action": "tag", "tag": "one-more", "episode_ids": [str(roomy.pk), str(full.pk)]}
    response, said = _post(admin, BULK, data)
    assert response["Location"] == "/episodes/"
    assert said == ["Nothing changed: tags has 51 tags; the limit is 50"]
    assert len(Episode.objects.get(pk=roomy.pk).tags) == 40  # atomic: not even the roomy one


def test_an_id_that_is_not_a_uuid_is_the_forms_error(admin: Client) -> None:
    episode = make_episode()
    for bad in ["not-a-uuid", "1", "' OR 1=1 --", "x" * 5000]:
        data = {"action": "archive", "episode_ids": [str(episode.pk), bad]}
        _, said = _post(admin, BULK, data)
        assert len(said) == 1 and said[0].startswith("Nothing changed:"), bad
        assert "is not an episode id" in said[0] and "episode_ids" in said[0]
    assert Episode.objects.get(pk=episode.pk).archived_at is None


def test_a_tag_that_grows_when_lowercased_is_the_forms_error(admin: Client) -> None:
    episode = make_episode()
    data = {"action": "tag", "tag": "İ" * 40, "episode_ids": [str(episode.pk)]}
    _, said = _post(admin, BULK, data)
    assert len(said) == 1 and "is 80 characters once lowercased; the limit is 60" in said[0]


def test_other_bad_tags_are_the_forms_error(admin: Client) -> None:
    episode = make_episode()
    for tag in ["a\x00b", "x" * 61, "   "]:
        data = {"action": "tag", "tag": tag, "episode_ids": [str(episode.pk)]}
        _, said = _post(admin, BULK, data)
        assert len(said) == 1 and said[0].startswith("Nothing changed:") and "tag" in said[0]


def test_bulk_next_never_leaves_the_site(admin: Client) -> None:
    for next_url in OUTSIDE:
        episode = make_episode()
        data = {"action": "archive", "episode_ids": [str(episode.pk)], "next": next_url}
        response = admin.post(BULK, data)
        assert (response.status_code, response["Location"]) == (302, "/episodes/"), next_url
        assert Episode.objects.get(pk=episode.pk).archived_at is not None  # the action ran


def test_failed_item_next_never_leaves_the_site(admin: Client) -> None:
    for next_url in OUTSIDE:
        data = {"action": "dismiss", "item_ids": ["999999"], "next": next_url}
        response = admin.post(FAILED, data)
        assert (response.status_code, response["Location"]) == (302, "/sync/failed/"), next_url


def test_a_failed_item_id_that_is_not_one_is_the_forms_error(admin: Client) -> None:
    for bad in ["x", "-1", "0", "1.5", str(2**63), "9" * 5000, "١٢"]:
        data = {"action": "retry", "item_ids": [bad], "next": "/sync/failed/?state=dead_letter"}
        response, said = _post(admin, FAILED, data)
        assert response["Location"] == "/sync/failed/?state=dead_letter"
        assert len(said) == 1 and "is not an item id" in said[0], bad


@pytest.mark.parametrize("path,data,where", [
    (BULK, {"action": "archive", "episode_ids": ["not-a-uuid"]}, "/episodes/?tag=auth&sort=oldest"),
    (FAILED, {"action": "retry", "item_ids": ["999999"]}, "/sync/failed/?state=dead_letter"),
    (BULK, {"action": "archive", "episode_ids": ["not-a-uuid"]}, "http://testserver/episodes/"),
])  # fmt: skip
def test_next_inside_the_site_is_honoured(
    admin: Client, path: str, data: dict[str, Any], where: str
) -> None:
    response = admin.post(path, {**data, "next": where})
    assert response.status_code == 302 and response["Location"] == where


def test_one_helper_decides_next(rf: Any) -> None:
    """Both views go through ``memoryadmin.redirects``; https pages only go to https."""
    secure = rf.post("/", {"next": "http://testserver/episodes/"}, secure=True)
    assert safe_next(secure) is None
    assert safe_next(rf.post("/", {"next": "https://testserver/x"}, secure=True)) is not None
    assert safe_next(rf.get("/", {"next": "/episodes/"})) == "/episodes/"
