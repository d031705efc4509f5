"""Property-based checks of the live OpenAPI schema (schemathesis through the WSGI app).

Every operation gets a few generated requests, valid and invalid, sent with a
real admin key; each reply must not be a 5xx and must match what the schema
declares (status code, content type, headers, body). Bounded to a few
examples per operation and mode, so the whole file stays well under a minute.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from config.wsgi import application
from memoryadmin.apikeys.services import api_key_create
from tests.factories import SUCCESS, make_episode, step

EXAMPLES = 60


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


def _check(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        sent = dict(headers)
        if mode == GenerationMode.POSITIVE and "Idempotency-Key" in (case.headers or {}):
            # Generated keys repeat across unrelated bodies (a 422 by design); agents use
            # a fresh key per request. Negative mode still sends invalid keys.
            sent["Idempotency-Key"] = str(uuid.uuid4())
        case.call_and_validate(headers=sent)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_matches_its_schema(
    wsgi_app: Any, admin_key: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    # The test sends a real key itself: generated Authorization values would be overridden.
    schema.config.generation.update(with_security_parameters=False)
    # Valid-looking data may still break a rule no JSON Schema states: an opaque
    # cursor that was never handed out (400), a text over its limit in UTF-8
    # bytes rather than characters (413). Both are declared replies; a 422 on
    # schema-valid data is not accepted.
    schema.config.checks.positive_data_acceptance.expected_statuses = [
        "2xx", "400", "401", "403", "404", "409", "413", "429"
    ]  # fmt: skip
    headers = {"Authorization": f"Bearer {admin_key}"}
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
