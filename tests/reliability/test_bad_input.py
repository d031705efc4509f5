"""Bad input on every write endpoint of the API, found from the OpenAPI schema.

tests/api checks the details per endpoint (field names, 422s, byte limits);
this file makes sure no write endpoint, including ones added later, misses
the contract: an oversized body is a 413, malformed JSON a 400, JSON the
storage would damage a 422 naming the field, a body that is not JSON a 415, a
chunked body the server cannot delimit a 411, an unknown id a 404, each a JSON
error with a message, and nothing is written.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from config.api import api
from config.api_input import MAX_DEPTH
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
@pytest.mark.parametrize(
    "raw", ['{"steps": [', "{'single': 'quotes'}", '{"x": NaN}', "\xff\xfe", '{"raw": "\x00"}']
)
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


def _nested(levels: int, inner: str = "1") -> str:
    return '{"metadata": ' + '{"a": ' * levels + inner + "}" * levels + "}"


# JSON that parses but that the storage would damage, refused in any body before its
# schema or a service sees it: raw JSON → (field, error type).
DEEP = "metadata" + ".a" * (MAX_DEPTH - 1)  # the object that opens level MAX_DEPTH + 1
UNSTORABLE = {
    "nul-in-text": ('{"metadata": {"note": "a\\u0000b"}}', "metadata.note", "string_text"),
    "nul-in-key": ('{"metadata": {"a\\u0000": 1}}', "metadata.a\\u0000", "key_text"),
    "surrogate-in-text": ('{"metadata": {"k": ["\\ud800"]}}', "metadata.k.0", "string_text"),
    "surrogate-in-key": ('{"metadata": {"\\udfff": 1}}', "metadata.\\udfff", "key_text"),
    "overflow": ('{"metadata": {"n": 1e999}}', "metadata.n", "number_range"),
    "negative-overflow": ('{"metadata": {"n": [-1e400]}}', "metadata.n.0", "number_range"),
    "4301-digits": ('{"metadata": {"n": ' + "9" * 4301 + "}}", "metadata.n", "number_range"),
    "nested-33": (_nested(MAX_DEPTH), DEEP, "json_too_deep"),
    "nested-500": (_nested(500), DEEP, "json_too_deep"),
    "nested-900": (_nested(900), DEEP, "json_too_deep"),
    # Past Python's recursion limit: json's own scanner gives up, the field is still found.
    "nested-5000": (_nested(5000), DEEP, "json_too_deep"),
    "nested-arrays": ('{"metadata": {"b": ' + "[" * 600 + "]" * 600 + "}}",
                      "metadata.b" + ".0" * (MAX_DEPTH - 2), "json_too_deep"),
}  # fmt: skip


@pytest.mark.parametrize("case", WITH_BODY, ids=_id)
@pytest.mark.parametrize("name", UNSTORABLE)
def test_unstorable_json_is_422_naming_the_field(client: Client, case: tuple, name: str) -> None:
    route, method, _ = case
    raw, field, kind = UNSTORABLE[name]
    before = snapshot()
    response = client.generic(method, route.url({}, real=False), raw, "application/json")
    _error(response, 422, "validation_error")
    extra = response.json()["extra"]
    assert (extra["field"], extra["errors"][0]["type"]) == (field, kind)
    assert field in response.json()["message"]
    assert snapshot() == before


@pytest.mark.parametrize("case", WITH_BODY, ids=_id)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_that_is_not_json_is_415(client: Client, case: tuple, content_type: str) -> None:
    route, method, _ = case
    before = snapshot()
    response = client.generic(method, route.url({}, real=False), '{"tags": ["x"]}', content_type)
    _error(response, 415, "unsupported_media_type")
    assert response.json()["extra"]["field"] == "Content-Type"
    assert snapshot() == before


@pytest.mark.parametrize("case", WITH_BODY, ids=_id)
def test_a_chunked_body_without_an_end_is_411(client: Client, case: tuple) -> None:
    """A server that does not set wsgi.input_terminated cannot say where the body ends."""
    route, method, _ = case
    before = snapshot()
    response = client.generic(
        method, route.url({}, real=False), "{}", "application/json",
        CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked",
    )  # fmt: skip
    _error(response, 411, "length_required")
    assert response.json()["extra"]["field"] == "Content-Length"
    assert snapshot() == before
