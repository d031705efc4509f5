"""Hostile input at the fields it really lands in, and the HTTP edges of the API.

test_bad_input.py sends each unstorable JSON to every write endpoint at one place;
here each goes where an agent would put it (metadata, step parameters, an
outcome's error_details, tags, texts, query filters), on real ids, and the reply
names that exact field. Then what is at the limit is accepted and stored whole;
chunked bodies are read; HEAD answers like GET without a body.
"""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest
from django.test import Client

from config.api import api
from config.api_input import MAX_DEPTH
from episodes.models import Episode
from tests.api.conftest import EPISODE, STEP
from tests.reliability.conftest import API, api_key, bearer, snapshot
from tests.reliability.urlwalk import api_operations

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client(headers=bearer(api_key("admin")))


@pytest.fixture
def episode_id(client: Client) -> str:
    response = client.post(f"{API}/episodes", EPISODE, "application/json")
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def _nest(levels: int) -> str:
    return '{"a": ' * levels + "1" + "}" * levels


def _with(body: dict[str, Any], **raw: str) -> str:
    """``body`` as JSON with some values given as raw JSON text (json.dumps cannot
    write 1e999 or a lone surrogate escape)."""
    marked = {**body, **{name: f"@@{name}@@" for name in raw}}
    text = json.dumps(marked)
    for name, value in raw.items():
        text = text.replace(f'"@@{name}@@"', value)
    return text


def _deep(prefix: str) -> str:
    """The field of the object that opens level MAX_DEPTH + 1 under ``prefix``."""
    return prefix + ".a" * (MAX_DEPTH - prefix.count(".") - 1)


def _steps(**raw: str) -> str:
    return '{"steps": [' + _with(STEP, **raw) + "]}"


# (method, path under /api/v1, raw body, field named by the 422)
CASES = [
    ("POST", "/episodes", _with(EPISODE, metadata=_nest(900)), _deep("metadata")),
    ("POST", "/episodes", _with(EPISODE, task_description='"fix\\u0000 it"'), "task_description"),
    ("POST", "/episodes", _with(EPISODE, context='{"tags": ["a", "b\\u0000"]}'), "context.tags.1"),
    ("POST", "/episodes", _with(EPISODE, metadata='{"\\ud800": "x"}'), "metadata.\\ud800"),
    ("POST", "/episodes", _with(EPISODE, metadata='{"k": "\\udc00"}'), "metadata.k"),
    ("POST", "/episodes", _with(EPISODE, metadata='{"cost": 1e999}'), "metadata.cost"),
    ("POST", "/episodes/{id}/steps", _steps(parameters=_nest(500)), _deep("steps.0.parameters")),
    ("POST", "/episodes/{id}/steps", _steps(observation='"a\\u0000"'), "steps.0.observation"),
    ("POST", "/episodes/{id}/steps", _steps(parameters='{"p\\u0000": 1}'),
     "steps.0.parameters.p\\u0000"),
    ("POST", "/episodes/{id}/complete",
     '{"outcome": {"kind": "failure", "error_details": ' + _nest(700) + "}}",
     _deep("outcome.error_details")),
    ("POST", "/episodes/{id}/complete",
     '{"outcome": {"kind": "failure", "error_details": {"code": -1e999}}}',
     "outcome.error_details.code"),
    ("POST", "/episodes/{id}/complete", '{"outcome": {"kind": "failure", "reason": "\\ud800"}}',
     "outcome.reason"),
    ("PATCH", "/episodes/{id}", '{"metadata": {"k": "v\\u0000"}}', "metadata.k"),
    ("PATCH", "/episodes/{id}", '{"tags": ["\\udfff"]}', "tags.0"),
    ("POST", "/context/retrieve", '{"description": "login\\u0000"}', "description"),
    ("POST", "/keys", '{"name": "k\\u0000", "scopes": ["read"]}', "name"),
    ("POST", "/sync/runs", '{"tags": ["\\ud800"]}', "tags.0"),
]  # fmt: skip


@pytest.mark.parametrize("method,path,raw,field", CASES, ids=[c[3] for c in CASES])
def test_hostile_values_are_refused_where_they_land(
    client: Client, episode_id: str, method: str, path: str, raw: str, field: str
) -> None:
    before = snapshot()
    response = client.generic(
        method, API + path.format(id=episode_id), raw, "application/json",
        headers={"Idempotency-Key": "hostile-1"},
    )  # fmt: skip
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "validation_error" and body["extra"]["field"] == field
    assert snapshot() == before  # nothing half-written, no idempotency record either


def test_a_refused_request_leaves_its_idempotency_key_unused(client: Client) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    bad = _with(EPISODE, task_description='"a\\u0000b"')
    assert (
        client.post(f"{API}/episodes", bad, "application/json", headers=headers).status_code == 422
    )
    good = client.post(f"{API}/episodes", EPISODE, "application/json", headers=headers)
    assert (
        good.status_code == 201 and good.json()["task_description"] == EPISODE["task_description"]
    )


@pytest.mark.parametrize("path,name", [
    ("/episodes", "text"), ("/episodes", "tag"), ("/heuristics", "text"),
    ("/sync/failed", "error_class"),
])  # fmt: skip
def test_nul_in_a_query_filter_is_422(client: Client, path: str, name: str) -> None:
    response = client.get(f"{API}{path}", {name: "flaky\x00"})
    assert response.status_code == 422, response.content
    assert response.json()["extra"]["field"] == name


def test_what_is_within_the_limits_is_stored_whole(client: Client) -> None:
    metadata = {
        "deep": json.loads(_nest(MAX_DEPTH - 2)),  # body + metadata + 30 levels = the limit
        "emoji": "\U0001f600 via a surrogate pair",
        "numbers": [1e308, -5e-324, 2**70, -(2**63)],
        "ключ": "значение",
    }
    raw = json.dumps({**EPISODE, "metadata": metadata})  # the emoji goes as "\\ud83d\\ude00"
    created = client.post(f"{API}/episodes", raw, "application/json")
    assert created.status_code == 201, created.content
    read = client.get(f"{API}/episodes/{created.json()['id']}").json()
    assert read["metadata"] == metadata
    assert Episode.objects.get(pk=created.json()["id"]).metadata == metadata


def _chunked(body: bytes) -> dict[str, Any]:
    """What gunicorn hands over for ``Transfer-Encoding: chunked``: no Content-Length,
    the decoded body in wsgi.input, and ``wsgi.input_terminated``."""
    return {
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
    }


def test_a_chunked_body_is_read_whole(client: Client) -> None:
    body = json.dumps(EPISODE).encode()
    response = client.generic("POST", f"{API}/episodes", body, "application/json", **_chunked(body))
    assert response.status_code == 201, response.content
    assert (
        Episode.objects.get(pk=response.json()["id"]).task_description
        == EPISODE["task_description"]
    )


def test_a_chunked_body_over_the_limit_is_413(client: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({**EPISODE, "metadata": {"pad": "x" * 5000}}).encode()
    before = snapshot()
    response = client.generic("POST", f"{API}/episodes", body, "application/json", **_chunked(body))
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"
    assert snapshot() == before


def test_head_answers_every_get_operation_like_get_without_a_body(
    client: Client, ids: dict[str, str]
) -> None:
    gets = [route for route in api_operations() if "GET" in route.methods]
    assert len(gets) >= 15
    before = snapshot()
    for route in gets:
        path = route.url(ids)
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        assert head["Content-Type"] == got["Content-Type"], path
        if got.status_code == 200 and not got.streaming:
            assert int(head["Content-Length"]) > 0, path
    assert snapshot() == before
    # HEAD is not an operation of its own: not in the schema, no second URL pattern.
    assert all("head" not in methods for methods in api.get_openapi_schema()["paths"].values())
    names = [route.name for route in api_operations()]
    assert len(names) == len(set(names))
