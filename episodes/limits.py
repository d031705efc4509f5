"""Input limits and their checks; every breach names the field and the limit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from memoryadmin.exceptions import ApplicationError, PayloadTooLarge

KB = 1024
MB = 1024 * KB
DESCRIPTION_MAX = 10 * KB
OBSERVATION_MAX = 10 * KB
ACTION_MAX = 10 * KB
JSON_FIELD_MAX = 1 * MB  # parameters, artifacts, metadata
EPISODE_MAX = 10 * MB
STEPS_MAX = 1000
TAGS_MAX = 50
TAG_LENGTH_MAX = 60
TOOL_MAX = 100  # a step's tool (its column's width)
CONTEXT_TEXT_MAX = 60  # context.language, framework, domain


def text_size(value: str) -> int:
    return len(value.encode("utf-8"))


def json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def check_text(field: str, value: str, limit: int, *, required: bool = False) -> None:
    if required and not value.strip():
        raise ApplicationError(f"{field} must not be empty", extra={"field": field})
    if (size := text_size(value)) > limit:
        raise PayloadTooLarge(
            f"{field} is {size} bytes; the limit is {limit} bytes",
            extra={"field": field, "size": size, "limit": limit},
        )


def check_json(field: str, value: Any, limit: int = JSON_FIELD_MAX) -> int:
    size = json_size(value)
    if size > limit:
        raise PayloadTooLarge(
            f"{field} is {size} bytes of JSON; the limit is {limit} bytes",
            extra={"field": field, "size": size, "limit": limit},
        )
    return size


def check_tags(field: str, tags: list[str], *, clean: Callable[[str], str]) -> list[str]:
    """Stripped, distinct tags as ``clean`` stores them; the limits apply to what was sent
    (lowercased, as tags are stored).

    ``clean`` turns a checked tag into its stored form: redacted, then lowercased (the
    redactor must see it first: secrets are case-sensitive, ``AKIA...`` lowercased would
    slip past it). Tags already in that form pass ``str``.
    """
    if len(tags) > TAGS_MAX:
        raise ApplicationError(
            f"{field} has {len(tags)} tags; the limit is {TAGS_MAX}", extra={"field": field}
        )
    out: list[str] = []
    for i, tag in enumerate(tags):
        if not isinstance(tag, str) or not tag.strip():
            raise ApplicationError(
                f"{field}[{i}] must be a non-empty string", extra={"field": field}
            )
        tag = tag.strip()
        if len(tag.lower()) > TAG_LENGTH_MAX:
            raise ApplicationError(
                f"{field}[{i}] is longer than {TAG_LENGTH_MAX} characters", extra={"field": field}
            )
        tag = clean(tag)
        if tag not in out:
            out.append(tag)
    return out
