"""schemathesis against the live server: at least TARGET generated requests over HTTP.

Like tests/api/test_schemathesis.py, but against gunicorn over loopback and
many more examples: every operation of /api/v1/openapi.json, valid and
invalid data, a real admin key. Each reply is checked by schemathesis
(no 5xx, status code, content type, headers and body as the schema declares,
invalid data refused, valid data accepted); violations are counted, not
shrunk, so one run reports all of them. A 414 comes from gunicorn itself (its
request line limit, before Django sees the request) and is counted apart.
Rounds with new seeds go on until TARGET requests were sent (or the time
budget ends).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation.modes import GenerationMode

from reliability.common import Row, Server, api_key, log, manage
from reliability.context import Context

NAME = "schemathesis"
TARGET = 2000
EXAMPLES = 40
BUDGET = 900.0  # seconds
GUNICORN_URI_TOO_LONG = 414
ACCEPTANCE = {"RejectedPositiveData", "AcceptedNegativeData"}
ACCEPTED = ["2xx", "400", "401", "403", "404", "409", "413", "429"]


class Tally:
    def __init__(self) -> None:
        self.requests = 0
        self.statuses: Counter[int] = Counter()
        self.violations: Counter[str] = Counter()
        self.examples: dict[str, str] = {}
        self.checks: Counter[str] = Counter()  # failed checks by schemathesis' class name


def _fuzz(operation: Any, mode: GenerationMode, base: str, key: str, n: int, tally: Tally) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @seed(n)
    def run(case: Any) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        if mode == GenerationMode.POSITIVE and "Idempotency-Key" in (case.headers or {}):
            headers["Idempotency-Key"] = str(uuid.uuid4())  # one key per logical request
        response = case.call(base_url=base, headers=headers, timeout=30)
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        if response.status_code == GUNICORN_URI_TOO_LONG:
            return  # gunicorn's own refusal of a request line over 4094 bytes, before Django
        try:
            case.validate_response(response, headers=headers)
        except (Exception, FailureGroup) as exc:  # a check failed: count it, keep generating
            tally.violations[operation.label] += 1
            for failure in getattr(exc, "exceptions", None) or [exc]:
                tally.checks[type(failure).__name__] += 1
            text = " ".join(f"{type(exc).__name__}: {exc}".split())
            tally.examples.setdefault(operation.label, text[:500])

    run()


def run(ctx: Context) -> list[Row]:
    data = ctx.data(NAME)
    env = data.env()
    manage(env, "sync_memories")  # runs and a validation report for the sync endpoints
    key = api_key(env, "schemathesis", "admin")
    tally, began, rounds = Tally(), time.monotonic(), 0
    with Server(env, data.path / "server.log", workers=2) as server:
        schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
        schema.config.generation.update(with_security_parameters=False)
        schema.config.checks.positive_data_acceptance.expected_statuses = ACCEPTED
        operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]
        # Revoking random key ids could revoke the key that is sending the requests.
        operations = [
            op for op in operations if not (op.method.upper() == "DELETE" and "/keys/" in op.path)
        ]
        while tally.requests < TARGET and time.monotonic() - began < BUDGET:
            rounds += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for operation in operations:
                    try:
                        _fuzz(operation, mode, server.url, key, ctx.seed + rounds, tally)
                    except Unsatisfiable:
                        pass  # nothing to negate in this operation
                    except (Exception, FailureGroup) as exc:  # what schemathesis recorded
                        text = " ".join(f"{type(exc).__name__}: {exc}".split())
                        tally.examples.setdefault(operation.label, text[:500])
            log(
                f"{NAME}: round {rounds}: {tally.requests} requests, "
                f"{sum(tally.violations.values())} violations"
            )
    elapsed = time.monotonic() - began
    fivexx = sum(n for status, n in tally.statuses.items() if status >= 500)
    violations = sum(tally.violations.values())
    for label, text in tally.examples.items():
        log(f"{NAME}: {label}: {text}")
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items()))
    return [
        Row(
            NAME,
            "operations / rounds / requests sent",
            f"{len(operations)} / {rounds} / {tally.requests} in {elapsed:.0f} s",
            f">= {TARGET} requests",
            tally.requests >= TARGET,
        ),
        Row(NAME, "reply statuses", statuses),
        Row(
            NAME,
            "414 from gunicorn (request line > 4094 bytes; not checked)",
            str(tally.statuses[GUNICORN_URI_TOO_LONG]),
        ),
        Row(NAME, "5xx replies", str(fivexx), "0", fivexx == 0),
        Row(
            NAME,
            "replies violating the schema (status code, content type, headers, body)",
            str(sum(n for name, n in tally.checks.items() if name not in ACCEPTANCE)),
            "0",
            not set(tally.checks) - ACCEPTANCE,
        ),
        Row(
            NAME,
            "schema-valid data refused / invalid data accepted",
            f"{tally.checks['RejectedPositiveData']} / {tally.checks['AcceptedNegativeData']}",
            "0 / 0",
            not set(tally.checks) & ACCEPTANCE,
        ),
        Row(
            NAME,
            "requests failing any check / operations affected",
            f"{violations} / {len(tally.examples)}"
            + "".join(
                f"; {label}: {text[:260]}" for label, text in list(tally.examples.items())[:3]
            ),
            "0 / 0",
            violations == 0 and not tally.examples,
        ),
    ]
