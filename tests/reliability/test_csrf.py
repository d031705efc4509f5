"""CSRF is enforced on every POST of the console (and on session writes to the API).

The walk finds the POST endpoints itself (the ``Allow`` header of each page;
Django's admin views accept any method). A logged-in admin posting without
the token gets 403 and nothing in the database changes; the same request
with the token passes the check (so the 403 was the token, not the role).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils.crypto import get_random_string

from tests.reliability.conftest import logged_in, snapshot
from tests.reliability.test_access import pages
from tests.reliability.urlwalk import Route, allowed_methods, api_operations

pytestmark = pytest.mark.django_db

# The console's own POST endpoints; the walk must find each (and no unlisted one).
CONSOLE_POSTS = {
    "console:namespace_switch",
    "console:api_keys",
    "console:api_key_revoke",
    "episodes:episode_bulk",
    "sync:sync_now",
    "sync:verify_now",
    "sync:rebuild_now",
    "sync:retry_queue_action",
    "login",
    "logout",
    "password_change",
    "password_reset",
    "password_reset_confirm",
}


def post_endpoints(client: object, ids: dict[str, str]) -> list[Route]:
    """Non-API URLs that accept POST (the API's public documents are GET-only by design)."""
    return [r for r in pages() if not r.is_api and "POST" in allowed_methods(client, r.url(ids))]


def test_the_walk_finds_every_console_post(ids: dict[str, str], superuser: User) -> None:
    found = {r.name for r in post_endpoints(logged_in(superuser), ids) if not r.is_django_admin}
    assert found == CONSOLE_POSTS


def test_every_post_without_the_token_is_403_and_changes_nothing(
    ids: dict[str, str], superuser: User
) -> None:
    client = logged_in(superuser, enforce_csrf_checks=True)
    routes = post_endpoints(client, ids)
    assert len(routes) > 60  # the console's forms and every Django admin form
    before, failures = snapshot(), []
    for route in routes:
        path = route.url(ids)
        response = client.post(path, {"action": "delete", "name": "x", "full": "on"})
        if response.status_code != 403 or b"CSRF verification failed" not in response.content:
            failures.append(f"POST {path} -> {response.status_code}")
    assert not failures, failures
    assert snapshot() == before


def test_the_same_post_with_the_token_passes_the_check(
    ids: dict[str, str], superuser: User
) -> None:
    for route in post_endpoints(logged_in(superuser), ids):
        if route.is_django_admin:
            continue  # accepted admin forms would delete rows; the refusal is what matters
        client = logged_in(superuser, enforce_csrf_checks=True)
        token = get_random_string(32)
        client.cookies["csrftoken"] = token
        response = client.post(route.url(ids), {"csrfmiddlewaretoken": token})
        assert response.status_code != 403, route.name


def test_api_writes_with_a_session_need_the_token(ids: dict[str, str], superuser: User) -> None:
    client = logged_in(superuser, enforce_csrf_checks=True)
    before, failures = snapshot(), []
    writes = [(r, m) for r in api_operations() if r.scope for m in r.methods if m != "GET"]
    assert len(writes) >= 10
    for route, method in writes:
        path = route.url(ids)  # real ids: only the missing token stands in the way
        response = client.generic(method, path, "{}", content_type="application/json")
        if response.status_code != 403 or response.json()["error"] != "forbidden":
            failures.append(f"{method} {path} -> {response.status_code}")
    assert not failures, failures
    assert snapshot() == before
