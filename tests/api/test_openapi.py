"""The OpenAPI schema is served, complete and truthful; the docs page needs no CDN."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.api.conftest import API

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("post", "/episodes"): "201",
    ("get", "/episodes"): "200",
    ("get", "/episodes/{episode_id}"): "200",
    ("patch", "/episodes/{episode_id}"): "200",
    ("delete", "/episodes/{episode_id}"): "204",
    ("post", "/episodes/{episode_id}/steps"): "200",
    ("post", "/episodes/{episode_id}/complete"): "200",
    ("post", "/context/retrieve"): "200",
    ("get", "/patterns"): "200",
    ("get", "/patterns/{pattern_id}"): "200",
    ("get", "/heuristics"): "200",
    ("get", "/heuristics/{heuristic_id}"): "200",
    ("get", "/health"): "200",
    ("get", "/metrics"): "200",
    ("get", "/keys"): "200",
    ("post", "/keys"): "201",
    ("delete", "/keys/{key_id}"): "200",
    ("post", "/sync/runs"): "202",
    ("get", "/sync/runs"): "200",
    ("get", "/sync/runs/{run_id}"): "200",
    ("get", "/sync/validation/latest"): "200",
    ("post", "/sync/verify"): "200",
    ("get", "/sync/failed"): "200",
    ("post", "/sync/failed/{item_id}/retry"): "200",
    ("post", "/sync/failed/{item_id}/dismiss"): "200",
    ("get", "/sync/freshness"): "200",
    ("get", "/namespaces"): "200",
    ("get", "/namespaces/current"): "200",
    ("post", "/namespaces"): "201",
}


@pytest.fixture
def schema(client: Client) -> dict:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_every_operation_is_documented_with_its_codes(schema: dict) -> None:
    found = {
        (method, path.removeprefix(API)): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    assert set(found) == set(OPERATIONS)
    for key, success in OPERATIONS.items():
        codes = set(found[key]["responses"])
        assert {success, "401", "403", "429"} <= codes, key
        assert found[key]["security"], f"{key} must require authentication"
    start = found[("post", "/episodes")]
    assert {"400", "413", "422"} <= set(start["responses"])
    assert {"404", "409"} <= set(found[("post", "/episodes/{episode_id}/complete")]["responses"])
    headers = {p["name"] for p in start["parameters"] if p["in"] == "header"}
    assert headers == {"Idempotency-Key"}
    sync_start = found[("post", "/sync/runs")]
    assert {"400", "422", "503"} <= set(sync_start["responses"])
    assert {p["name"] for p in sync_start["parameters"] if p["in"] == "header"} == {
        "Idempotency-Key"
    }
    assert "503" in found[("post", "/sync/verify")]["responses"]
    for action in ("retry", "dismiss"):
        assert {"404", "409"} <= set(
            found[("post", f"/sync/failed/{{item_id}}/{action}")]["responses"]
        )
    assert "404" in found[("get", "/sync/validation/latest")]["responses"]


def test_both_auth_methods_are_declared(schema: dict) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKeyAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["StaffSessionAuth"]["in"] == "cookie"


def test_error_shape_is_one_schema(schema: dict) -> None:
    error = schema["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"error", "message"}
    outcome = schema["components"]["schemas"]["CompleteIn"]["properties"]["outcome"]
    assert set(outcome["discriminator"]["mapping"]) == {
        "success",
        "partial_success",
        "failure",
        "abstained",
    }


def test_sync_enums_do_not_replace_other_components(schema: dict) -> None:
    # Components are keyed by class name: sync.models.runs.Scope once replaced the keys' Scope.
    components = schema["components"]["schemas"]
    assert components["Scope"]["enum"] == ["read", "write", "sync", "admin"]
    scope = components["SyncRunIn"]["properties"]["scope"]
    assert scope["enum"] == ["all", "episodes", "patterns", "heuristics", "embeddings"]
    assert not {"Status", "Trigger", "FailedState", "ItemKind"} & set(components)


def test_docs_page_uses_bundled_static_files_only(client: Client) -> None:
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(not u.startswith(("http:", "https:", "//")) for u in urls), urls
    for url in urls:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
    assert f"{API}/openapi.json" in html
