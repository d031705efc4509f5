"""What the API accepts as a request body, checked before any schema or service sees it.

JSON only (415 otherwise), read whole also when it came chunked, and nothing in it
that the storage would damage or that would blow a recursion limit further down:

- no NUL (U+0000) in any text, keys included: libSQL cuts text at the NUL, so the
  stored row and its content hash would disagree forever;
- no lone surrogate (U+D800 to U+DFFF): not Unicode, so not UTF-8 either;
- numbers that fit: ``1e999`` parses to ``inf`` (SQLite's JSON refuses it), an
  integer of more than 4300 digits does not parse at all;
- at most ``MAX_DEPTH`` levels of objects and arrays, counted from the body itself.

Each refusal is a 422 that names the field path ("metadata.a.0"), like a schema
violation, so nothing downstream ever has to cope with such data.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from memoryadmin.apikeys.errors import InvalidInput, LengthRequired, UnsupportedMediaType

MAX_DEPTH = 32
RULES = (
    "Text anywhere in a body or query (values and keys, at any depth) must not contain "
    "NUL (U+0000) or lone surrogates; numbers must be finite; a body nests at most "
    f"{MAX_DEPTH} levels of objects and arrays. Bodies are `application/json`."
)

Path = tuple[str | int, ...]


class _Huge:
    """An integer literal too long for ``int()`` (more than 4300 digits)."""


HUGE = _Huge()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_int(text: str) -> int | _Huge:
    try:
        return int(text)
    except ValueError:  # Exceeds the limit (4300 digits) for integer string conversion
        return HUGE


def _field(path: Path) -> str:
    return ".".join(str(part) for part in path) or "body"


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "must not contain NUL (U+0000): the database cuts text there"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "must not contain a lone surrogate (U+D800 to U+DFFF): it is not Unicode"
    return None


def _label(key: str) -> str:
    """A key as it can be shown in a field path: escaped when it is itself the problem."""
    return key if _text_problem(key) is None else json.dumps(key)[1:-1]


def _too_deep(path: Path) -> InvalidInput:
    return InvalidInput(
        f"nests deeper than {MAX_DEPTH} levels of objects and arrays",
        field=_field(path),
        kind="json_too_deep",
    )


def check_json(value: Any) -> None:
    """Raise ``InvalidInput`` naming the first bad place found (iteratively: no recursion)."""
    stack: list[tuple[Any, Path]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            if len(path) >= MAX_DEPTH:
                raise _too_deep(path)
            for key, child in item.items():
                if problem := _text_problem(key):
                    raise InvalidInput(
                        f"the key {problem}", field=_field((*path, _label(key))), kind="key_text"
                    )
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            if len(path) >= MAX_DEPTH:
                raise _too_deep(path)
            stack.extend((child, (*path, i)) for i, child in enumerate(item))
        elif isinstance(item, str):
            if problem := _text_problem(item):
                raise InvalidInput(f"the text {problem}", field=_field(path), kind="string_text")
        elif isinstance(item, float) and not math.isfinite(item):
            raise InvalidInput(
                "the number does not fit a 64-bit float", field=_field(path), kind="number_range"
            )
        elif item is HUGE:
            raise InvalidInput(
                "the number has more than 4300 digits", field=_field(path), kind="number_range"
            )


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+', re.DOTALL)


def _deep_path(text: str) -> Path:
    """Where ``text`` opens its level ``MAX_DEPTH + 1``: for bodies so deep that json's
    own (recursive) scanner gave up, so ``check_json`` never saw them."""
    path: list[str | int] = []  # per open container: the key or index reached in it
    last_string = ""
    for match in _TOKEN.finditer(text):
        piece = match.group()
        if piece in ("{", "["):
            if len(path) == MAX_DEPTH:
                break
            path.append(0 if piece == "[" else "")
        elif piece in ("}", "]") and path:
            path.pop()
        elif piece == "," and path and isinstance(path[-1], int):
            path[-1] += 1
        elif piece == ":" and path:
            try:
                path[-1] = _label(json.loads(last_string))
            except ValueError:
                path[-1] = last_string[1:-1]
        elif piece.startswith('"'):
            last_string = piece
    return tuple(path)


def _is_json(content_type: str) -> bool:
    media = content_type.lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class JSONParser(Parser):
    """Strict input (see the module docstring), and a scalar query parameter given
    twice is a list (so a 422), not its last value.

    An exception raised here reaches the API's handlers as the cause of ninja's
    400 "Cannot parse request body" (see ``config.api.http_error``).
    """

    def parse_body(self, request: HttpRequest) -> Any:
        if not _is_json(request.content_type or ""):
            got = request.content_type or "none"
            raise UnsupportedMediaType(
                f"the body must be JSON sent with Content-Type: application/json (got {got})",
                extra={"field": "Content-Type", "content_type": got},
            )
        try:
            data = json.loads(request.body, parse_constant=_reject_constant, parse_int=_parse_int)
        except RecursionError:
            raise _too_deep(_deep_path(request.body.decode("utf-8", "replace"))) from None
        check_json(data)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key in data:
            values = data.getlist(key)
            for value in (key, *values):
                if isinstance(value, str) and (problem := _text_problem(value)):
                    raise InvalidInput(f"the text {problem}", field=_label(key), kind="string_text")
            result[key] = values if key in list_fields or len(values) > 1 else values[0]
        return result


def read_unsized_body(request: HttpRequest) -> None:
    """Read a chunked body: gunicorn passes it with no Content-Length (and sets
    ``wsgi.input_terminated``), which Django would read as no body at all.

    A server that does not terminate the input cannot tell where the body ends: 411.
    """
    meta = request.META
    if (
        meta.get("CONTENT_LENGTH")
        or "chunked" not in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
    ):
        return
    if not meta.get("wsgi.input_terminated"):
        raise LengthRequired(
            "this server cannot read a chunked body: send Content-Length",
            extra={"field": "Content-Length"},
        )
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    data = meta["wsgi.input"].read() if limit is None else meta["wsgi.input"].read(limit + 1)
    if limit is not None and len(data) > limit:
        raise RequestDataTooBig("the chunked request body is larger than the limit")
    # What HttpRequest.body caches after its own read (Django has no public setter).
    request._body = data  # type: ignore[attr-defined]
