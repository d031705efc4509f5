"""Property-based checks of the live OpenAPI schema (schemathesis through the WSGI app).

Every operation gets a few generated requests, valid and invalid, sent with a
real admin key; each reply must not be a 5xx and must match what the schema
declares (status code, content type, headers, body). Negative data includes NUL
characters. A third, hostile mode takes valid requests and puts one thing the
API refuses before its schemas into the body (NUL or a lone surrogate in a value
or a key, 1e999, a 4301-digit number, nesting 33 to 900 deep) or NUL into a
query filter: each must be a 422 naming exactly that field, and the database must
end as it began. Bounded to a few examples per operation and mode, so the whole
file stays well under a minute.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.generation.modes import GenerationMode

from config.wsgi import application
from memoryadmin.apikeys.services import api_key_create
from tests.factories import SUCCESS, make_episode, step
from tests.reliability.conftest import snapshot

EXAMPLES = 60
HOSTILE_EXAMPLES = 15
HOSTILE = "hostile"
TOKEN = "@@hostile@@"
# Raw JSON text (json.dumps cannot write 1e999 or a lone surrogate's escape).
HOSTILE_VALUES = [
    '"a\\u0000b"', '"\\ud800"', '"x\\udfff y"', "1e999", "-1e400", "9" * 4301,
    '{"a": ' * 33 + "1" + "}" * 33, "[" * 600 + "]" * 600, '{"a": ' * 900 + "{}" + "}" * 900,
]  # fmt: skip
HOSTILE_KEYS = ['"k\\u0000"', '"\\udbff"']


@pytest.fixture
def wsgi_app(db: None) -> Iterator[Any]:
    """The real WSGI app, minus the per-request connection cleanup.

    Like Django's test client: closing "old" connections after each request
    would close the test's own connection and its transaction.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_key(db: None) -> str:
    # Real data, so that lists, retrieval and learning have something to return.
    make_episode(steps=[step("grep"), step("pytest")], outcome=SUCCESS)
    created = api_key_create(
        name="schemathesis",
        scopes=["admin"],
        rate_limit_per_minute=10**6,
        daily_episode_quota=10**6,
    )
    return created.key


def _containers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of every object and array in a generated body (the body's own first)."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    return [path] + [p for key, child in items for p in _containers(child, (*path, key))]


@st.composite
def _hostile_body(draw: st.DrawFn, body: Any) -> tuple[bytes, str]:
    """``body`` with one hostile key or value put somewhere in it: (raw JSON, its field)."""
    body = copy.deepcopy(body)
    path = draw(st.sampled_from(_containers(body)))
    node = body
    for part in path:
        node = node[part]
    if isinstance(node, dict) and draw(st.booleans()):
        raw, slot = draw(st.sampled_from(HOSTILE_KEYS)), None
        node[TOKEN] = 1
    else:
        raw = draw(st.sampled_from(HOSTILE_VALUES))
        slots = list(node) if isinstance(node, dict) else list(range(len(node)))
        slot = draw(st.sampled_from([*slots, "hostile" if isinstance(node, dict) else len(node)]))
        if isinstance(node, list) and slot == len(node):
            node.append(None)
        node[slot] = TOKEN
    text = json.dumps(body).replace(json.dumps(TOKEN), raw, 1)
    field = ".".join(str(p) for p in (*path, raw[1:-1] if slot is None else slot))
    return text.encode(), field


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.content[:500]
    error = json.loads(response.content)
    assert error["error"] == "validation_error", error
    # Nesting is refused at the level past the limit, somewhere below the field.
    assert (error["extra"]["field"] + ".").startswith(field + "."), (error, field)


def _check(operation: Any, mode: GenerationMode | str, headers: dict[str, str]) -> None:
    hostile = mode == HOSTILE
    generation = GenerationMode.POSITIVE if hostile else mode

    @given(case=operation.as_strategy(generation_mode=generation), data=st.data())
    @settings(
        max_examples=HOSTILE_EXAMPLES if hostile else EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any, data: st.DataObject) -> None:
        sent = dict(headers)
        if generation == GenerationMode.POSITIVE and "Idempotency-Key" in (case.headers or {}):
            # Generated keys repeat across unrelated bodies (a 422 by design); agents use
            # a fresh key per request. Negative mode still sends invalid keys.
            sent["Idempotency-Key"] = str(uuid.uuid4())
        if not hostile:
            case.call_and_validate(headers=sent)
            return
        texts = [k for k, v in (case.query or {}).items() if isinstance(v, str)]
        if _containers(case.body):
            case.body, field = data.draw(_hostile_body(case.body))
        elif texts:
            field = data.draw(st.sampled_from(texts))
            case.query[field] += "\x00"
        else:
            return  # nothing here to be hostile with
        response = case.call(headers=sent)
        case.validate_response(
            response, excluded_checks=[positive_data_acceptance, negative_data_rejection]
        )
        _refused(response, field)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE, HOSTILE])
def test_every_operation_matches_its_schema(
    wsgi_app: Any, admin_key: str, mode: GenerationMode | str
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    # The test sends a real key itself: generated Authorization values would be overridden.
    schema.config.generation.update(with_security_parameters=False)
    if mode != GenerationMode.NEGATIVE:
        # Text never holds NUL (the API description says so; JSON Schema cannot, for
        # free-form metadata): valid data has none, negative and hostile data do.
        schema.config.generation.update(allow_x00=False)
    # Valid-looking data may still break a rule no JSON Schema states: an opaque
    # cursor that was never handed out (400), a text over its limit in UTF-8
    # bytes rather than characters (413). Both are declared replies; a 422 on
    # schema-valid data is not accepted.
    schema.config.checks.positive_data_acceptance.expected_statuses = [
        "2xx", "400", "401", "403", "404", "409", "413", "429"
    ]  # fmt: skip
    headers = {"Authorization": f"Bearer {admin_key}"}
    before = snapshot() if mode == HOSTILE else None
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        # Revoking random key ids could revoke the key this test sends.
        if operation.method.upper() == "DELETE" and "/keys/" in operation.path:
            continue
        try:
            _check(operation, mode, headers)
        except Unsatisfiable:
            assert mode == GenerationMode.NEGATIVE, operation.label  # nothing to negate
        except Exception as exc:  # collect every operation's failure, then report all
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:3000]
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
    if before is not None:
        assert snapshot() == before  # every hostile request refused, nothing half-written
