"""Bad input on every write endpoint of the API, found from the OpenAPI schema.

tests/api checks the details per endpoint (field names, 422s, byte limits);
this file makes sure no write endpoint, including ones added later, misses
the contract: an oversized body is a 413, malformed JSON a 400, an unknown
id a 404, each a JSON error with a message, and nothing is written.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from config.api import api
from tests.api.conftest import STEP, SUCCESS
from tests.reliability.conftest import api_key, bearer, snapshot
from tests.reliability.urlwalk import Route, api_operations

pytestmark = pytest.mark.django_db

# A valid body for each write endpoint that names an id, so that only the id is wrong.
VALID_BODY: dict[str, Any] = {
    "api:episode_steps_view": {"steps": [STEP]},
    "api:episode_complete_view": SUCCESS,
    "api:episode_update_view": {"tags": ["x"]},
}


def _openapi_path(route: Route) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.route)


def writes() -> list[tuple[Route, str, bool]]:
    """(route, method, takes a JSON body) for every non-GET operation with authentication."""
    paths = api.get_openapi_schema()["paths"]
    found = []
    for route in api_operations():
        for method in route.methods:
            if method == "GET" or route.scope is None:
                continue
            spec = paths[_openapi_path(route)][method.lower()]
            found.append((route, method, "requestBody" in spec))
    return found


def _id(case: tuple[Route, str, bool]) -> str:
    return f"{case[1]} /{case[0].route}"


WRITES = writes()
WITH_BODY = [case for case in WRITES if case[2]]
WITH_ID = [case for case in WRITES if case[0].params()]


@pytest.fixture
def client() -> Client:
    return Client(headers=bearer(api_key("admin")))


def _error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code and isinstance(body["message"], str) and body["message"]


def test_the_schema_lists_every_write() -> None:
    assert len(WRITES) >= 12 and len(WITH_BODY) >= 8 and len(WITH_ID) >= 6


@pytest.mark.parametrize("case", WITH_BODY, ids=_id)
def test_oversized_bodies_are_413(client: Client, settings: Any, case: tuple) -> None:
    route, method, _ = case
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = snapshot()
    body = '{"pad": "' + "x" * 5000 + '"}'
    response = client.generic(method, route.url({}, real=False), body, "application/json")
    _error(response, 413, "payload_too_large")
    assert response.json()["extra"]["limit"] == 1000
    assert snapshot() == before


@pytest.mark.parametrize("case", WITH_BODY, ids=_id)
@pytest.mark.parametrize("raw", ['{"steps": [', "{'single': 'quotes'}", '{"x": NaN}', "\xff\xfe"])
def test_malformed_json_is_400(client: Client, case: tuple, raw: str) -> None:
    route, method, _ = case
    before = snapshot()
    response = client.generic(method, route.url({}, real=False), raw, "application/json")
    _error(response, 400, "bad_request")
    assert snapshot() == before


@pytest.mark.parametrize("case", WITH_ID, ids=_id)
def test_unknown_ids_are_404(client: Client, case: tuple) -> None:
    route, method, has_body = case
    if has_body:
        assert route.name in VALID_BODY, f"add a valid body for {route.name} to VALID_BODY"
    body = json.dumps(VALID_BODY[route.name]) if has_body else ""
    before = snapshot()
    response = client.generic(method, route.url({}, real=False), body, "application/json")
    _error(response, 404, "not_found")
    assert snapshot() == before
