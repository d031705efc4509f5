"""Access walk: every URL pattern of the project, classified, tried by every role.

A URL that is in neither table below fails ``test_every_url_is_classified``,
so a new page or endpoint cannot slip in unguarded. Django's own admin site
is classified by its prefix: every model page there needs ``is_staff`` plus
the model permission, and the walk checks that for each discovered page.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.test import Client
from django.utils.crypto import get_random_string

from tests.reliability.conftest import ADMIN_LOGIN, LOGIN, api_key, bearer, logged_in
from tests.reliability.urlwalk import Route, allowed_methods, api_operations, routes

pytestmark = pytest.mark.django_db

PUBLIC, LOGGED_IN, OPERATOR, ADMIN = "public", "logged-in", "operator", "admin"
# Pages and the public API documents: who may see them.
PAGES = {
    "console:overview": OPERATOR,
    "console:namespace_switch": OPERATOR,
    "console:api_keys": ADMIN,
    "console:api_key_revoke": ADMIN,
    "console:audit_log": ADMIN,
    "login": PUBLIC,
    "logout": PUBLIC,
    "password_change": LOGGED_IN,
    "password_change_done": LOGGED_IN,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,
    "password_reset_complete": PUBLIC,
    "episodes:episode_list": OPERATOR,
    "episodes:episode_bulk": ADMIN,
    "episodes:episode_export": OPERATOR,
    "episodes:episode_detail": OPERATOR,
    "episodes:pattern_list": OPERATOR,
    "episodes:pattern_detail": OPERATOR,
    "episodes:heuristic_list": OPERATOR,
    "episodes:heuristic_detail": OPERATOR,
    "episodes:retrieval_playground": OPERATOR,
    "sync:sync_dashboard": OPERATOR,
    "sync:sync_now": OPERATOR,
    "sync:verify_now": OPERATOR,
    "sync:rebuild_now": ADMIN,
    "sync:run_detail": OPERATOR,
    "sync:run_progress": OPERATOR,
    "sync:validation_list": OPERATOR,
    "sync:validation_detail": OPERATOR,
    "sync:retry_queue": ADMIN,
    "sync:retry_queue_action": ADMIN,
    "healthz": PUBLIC,
    "admin:login": PUBLIC,
    "admin:logout": PUBLIC,
    "api:openapi-json": PUBLIC,
    "api:openapi-view": PUBLIC,
    "api:api-root": PUBLIC,
    "api:not_found": PUBLIC,
}
# Public URLs that answer 404 by design (everything else public answers < 400).
PUBLIC_404 = {"api:api-root", "api:not_found"}
# Every API operation and the scope it needs.
API_SCOPES = {
    "api:episode_start_view": "write",
    "api:episode_list_view": "read",
    "api:episode_steps_view": "write",
    "api:episode_complete_view": "write",
    "api:episode_get_view": "read",
    "api:episode_update_view": "write",
    "api:episode_delete_view": "write",
    "api:context_retrieve_view": "read",
    "api:pattern_list_view": "read",
    "api:pattern_get_view": "read",
    "api:heuristic_list_view": "read",
    "api:heuristic_get_view": "read",
    "api:health_view": "read",
    "api:metrics_view": "read",
    "api:api_key_list_view": "admin",
    "api:api_key_create_view": "admin",
    "api:api_key_revoke_view": "admin",
    "api:sync_run_start_view": "sync",
    "api:sync_run_list_view": "read",
    "api:sync_run_get_view": "read",
    "api:validation_latest_view": "read",
    "api:sync_verify_view": "sync",
    "api:failed_item_list_view": "read",
    "api:failed_item_retry_view": "sync",
    "api:failed_item_dismiss_view": "admin",
    "api:cache_freshness_view": "read",
    "api:namespace_list_view": "read",
    "api:namespace_current_view": "read",
    "api:namespace_create_view": "admin",
}
# A key holding everything *except* the scope (``write`` implies ``read``, ``admin`` all).
LACKING = {
    "read": ("sync",),
    "write": ("read", "sync"),
    "sync": ("write",),
    "admin": ("write", "sync"),
}
OPERATOR_SCOPES = {"read", "sync"}
MODEL_PAGE = re.compile(r"^admin:[a-z_]+_[a-z]+_(changelist|add|change|delete|history)$")


def kind(route: Route) -> str | None:
    if route.name in PAGES:
        return PAGES[route.name]
    if route.name in API_SCOPES:
        return "api"
    if route.is_django_admin:
        return "django-admin"
    return None


def pages() -> list[Route]:
    return [r for r in routes() if kind(r) != "api"]


def _redirects_to(response: Any, login: str) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith(login + "?next=")


def test_static_files_are_public() -> None:
    """Served by whitenoise's middleware, so not a URL pattern the walk could see."""
    response = Client().get("/static/css/console.css")
    assert response.status_code == 200


def test_every_url_is_classified() -> None:
    found = routes()
    assert len(found) > 100  # the walk reached the admin site and the API
    unclassified = sorted({f"/{r.route} ({r.name})" for r in found if kind(r) is None})
    assert not unclassified, f"classify these URLs in {__file__}: {unclassified}"
    names = {r.name for r in found}
    stale = sorted(set(PAGES) - names) + sorted(set(API_SCOPES) - names)
    assert not stale, f"no longer routed, drop them from the tables: {stale}"
    for route in found:
        if kind(route) == "api":
            assert route.scope == API_SCOPES[route.name], route.name
        elif route.is_api:  # public API documents: no authentication at all
            assert route.scope is None, route.name


def test_anonymous_users_are_sent_to_login_or_get_401(ids: dict[str, str]) -> None:
    client, failures = Client(), []
    for route in routes():
        path, expected = route.url(ids), kind(route)
        methods = route.methods or allowed_methods(client, path)
        for method in methods:
            response = client.generic(method, path)
            if expected == "api":
                ok = response.status_code == 401 and response.json()["error"] == "unauthorized"
            elif expected == "django-admin":
                ok = _redirects_to(response, ADMIN_LOGIN)
            elif expected == PUBLIC:
                wanted = 404 if route.name in PUBLIC_404 else None
                ok = response.status_code == wanted if wanted else response.status_code < 400
                ok = ok and not _redirects_to(response, LOGIN)
            else:
                ok = _redirects_to(response, LOGIN)
            if not ok:
                failures.append(f"{method} {path} [{expected}] -> {response.status_code}")
    assert not failures, failures


def test_operators_are_refused_admin_pages_and_actions(ids: dict[str, str], operator: User) -> None:
    client, failures = logged_in(operator), []
    for route in pages():
        path, expected = route.url(ids), kind(route)
        if expected == PUBLIC:
            continue
        for method in sorted(allowed_methods(client, path)):
            response = client.generic(method, path)
            status = response.status_code
            if expected == ADMIN:
                ok = status == 403
            elif expected == "django-admin":  # not staff: Django's admin sends them to its login
                ok = _redirects_to(response, ADMIN_LOGIN)
            else:
                ok = status == 200 if method == "GET" else status in (200, 302)
            if not ok:
                failures.append(f"{method} {path} [{expected}] -> {status}")
    assert not failures, failures


def test_staff_operators_get_403_on_every_django_admin_model_page(
    ids: dict[str, str], staff_operator: User
) -> None:
    client, refused = logged_in(staff_operator), {}
    for route in pages():
        if not MODEL_PAGE.match(route.name):
            continue
        _, app_label, model_name = route.route.split("/")[:3]
        row = apps.get_model(app_label, model_name)._default_manager.first()
        if row is None and "object_id" in route.params():
            continue  # Django answers "does not exist" before checking permissions
        path = route.url({**ids, "object_id": str(row.pk) if row else ""})
        refused[path] = client.get(path).status_code
    assert len(refused) > 40
    assert {path: status for path, status in refused.items() if status != 403} == {}


def test_api_keys_are_never_added_through_the_django_admin(superuser: User) -> None:
    """Only the services make keys (the secret is shown once); the admin add form made
    keys without a secret, and a second one failed on the empty hash with a 500."""
    root = logged_in(superuser)
    for _ in range(2):
        added = root.post("/admin/memoryadmin/apikey/add/", {"name": "x", "scopes": '["read"]'})
        assert added.status_code == 403


def test_admins_reach_every_page(ids: dict[str, str], admin_user: User, superuser: User) -> None:
    admin, root, failures = logged_in(admin_user), logged_in(superuser), []
    for route in pages():
        path = route.url(ids)
        if route.is_django_admin:
            status = root.get(path).status_code
            ok = status < 500
        elif kind(route) == PUBLIC or "GET" not in allowed_methods(admin, path):
            continue
        else:
            status = admin.get(path).status_code
            ok = status == 200
        if not ok:
            failures.append(f"GET {path} -> {status}")
    assert not failures, failures


def _call(client: Client, route: Route, method: str, ids: dict[str, str], **headers: str) -> Any:
    # Reads use real ids, writes unknown ones: a permitted call never changes data.
    return client.generic(method, route.url(ids, real=method == "GET"), headers=headers)


def test_api_keys_are_refused_outside_their_scopes(ids: dict[str, str]) -> None:
    client, failures = Client(), []
    for route in api_operations():
        if route.scope is None:
            continue
        lacking, holding = api_key(*LACKING[route.scope]), api_key(route.scope)
        for method in route.methods:
            refused = _call(client, route, method, ids, **bearer(lacking))
            allowed = _call(client, route, method, ids, **bearer(holding))
            if refused.status_code != 403 or refused.json()["error"] != "forbidden":
                failures.append(f"{method} {route.route} without {route.scope}: {refused}")
            if allowed.status_code in (401, 403) or allowed.status_code >= 500:
                failures.append(f"{method} {route.route} with {route.scope}: {allowed}")
    assert not failures, failures


def test_operator_sessions_hold_read_and_sync_only(ids: dict[str, str], operator: User) -> None:
    client = logged_in(operator, enforce_csrf_checks=True)
    token = get_random_string(32)
    client.cookies["csrftoken"] = token  # a valid token: the refusal must be about the role
    failures = []
    for route in api_operations():
        if route.scope is None:
            continue
        for method in route.methods:
            status = _call(client, route, method, ids, **{"X-CSRFToken": token}).status_code
            allowed = route.scope in OPERATOR_SCOPES
            if (status == 403) == allowed or status >= 500:
                failures.append(f"{method} {route.route} [{route.scope}] -> {status}")
    assert not failures, failures


def test_a_revoked_key_stops_working_at_once(ids: dict[str, str], admin_user: User) -> None:
    from memoryadmin.apikeys.models import ApiKey

    key = api_key("admin", name="to revoke")
    client = Client()
    assert client.get("/api/v1/episodes", headers=bearer(key)).status_code == 200
    pk = ApiKey.objects.get(name="to revoke").pk
    assert logged_in(admin_user).post(f"/keys/{pk}/revoke").status_code == 302
    failures = []
    for route in api_operations():
        if route.scope is None:
            continue
        for method in route.methods:
            response = _call(client, route, method, ids, **bearer(key))
            if response.status_code != 401:
                failures.append(f"{method} {route.route} -> {response.status_code}")
    assert not failures, failures
