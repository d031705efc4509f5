"""``Idempotency-Key``: the first reply to a key is stored and replayed for 24 h.

The record is inserted *first*, inside the same transaction as the work: a
concurrent request with the same key waits on SQLite's write lock, then hits
the unique (owner, key) constraint and replays the committed reply. So a key
never produces two episodes, and a failed request (rolled back) leaves no
record behind. Replies with a 4xx from the operation's rules are stored and
replayed too (same status, same body); 5xx and throttling never are.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from pydantic import BaseModel

from memoryadmin.apikeys.auth import Caller
from memoryadmin.apikeys.errors import IdempotencyMismatch, TooManyRequests, error_body
from memoryadmin.apikeys.models import IdempotencyRecord
from memoryadmin.exceptions import ApplicationError

TTL = timedelta(hours=24)
KEY_MAX = 255
HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
CONTENT_TYPE = "application/json; charset=utf-8"

Result = tuple[int, BaseModel | None]


def json_response(status: int, body: bytes) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=CONTENT_TYPE if body else None)


def _render(status: int, body: BaseModel | dict[str, Any] | None) -> bytes:
    if body is None:
        return b""
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def fingerprint(request: HttpRequest) -> str:
    """Same method, path and JSON body (keys sorted, spacing ignored) → same fingerprint."""
    try:
        body: Any = json.loads(request.body or b"null")
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = request.body
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


def _clean_key(key: str) -> str:
    if not key or len(key) > KEY_MAX:
        raise ApplicationError(
            f"{HEADER} must be 1 to {KEY_MAX} characters", extra={"field": HEADER}
        )
    return key


def _replay(record: IdempotencyRecord, print_: str) -> HttpResponse:
    if record.fingerprint != print_:
        raise IdempotencyMismatch(
            f"{HEADER} {record.key!r} was already used with a different request; "
            "use a new key for a new request",
            extra={"field": HEADER},
        )
    response = json_response(record.status_code, record.body.encode("utf-8"))
    response[REPLAYED] = "true"
    return response


def _existing(owner: str, key: str) -> IdempotencyRecord | None:
    record = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
    if record is not None and record.expires_at <= timezone.now():
        record.delete()
        return None
    return record


def idempotent(
    request: HttpRequest, caller: Caller, key: str | None, run: Callable[[], Result]
) -> HttpResponse:
    """Run ``run`` (which returns ``(status, body)``) at most once per key and caller."""
    if key is None:
        status, body = run()
        return json_response(status, _render(status, body))
    key, print_, owner = _clean_key(key), fingerprint(request), caller.owner
    if (record := _existing(owner, key)) is not None:
        return _replay(record, print_)
    now = timezone.now()
    claimed = False
    try:
        with transaction.atomic():
            # The claim comes first, under SQLite's write lock (BEGIN IMMEDIATE):
            # a concurrent twin waits here, then fails on the unique constraint.
            record = IdempotencyRecord.objects.create(
                owner=owner, key=key, fingerprint=print_, status_code=0, body="",
                expires_at=now + TTL,
            )  # fmt: skip
            claimed = True
            try:
                with transaction.atomic():
                    status, rendered = _run_rendered(run)
            except TooManyRequests:
                raise  # quotas are not the operation's answer: never stored
            except ApplicationError as exc:
                status, rendered = exc.status, _render(exc.status, error_body(exc))
            record.status_code, record.body = status, rendered.decode("utf-8")
            record.save(update_fields=["status_code", "body"])
            IdempotencyRecord.objects.filter(expires_at__lt=now).delete()
    except IntegrityError:
        if claimed:
            raise  # the operation's own integrity error, not a key race
        # Another request with this key committed first: answer as it did.
        record = IdempotencyRecord.objects.get(owner=owner, key=key)
        return _replay(record, print_)
    return json_response(status, rendered)


def _run_rendered(run: Callable[[], Result]) -> tuple[int, bytes]:
    status, body = run()
    return status, _render(status, body)
