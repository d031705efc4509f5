"""Parameter translation between Django's styles and libsql's qmark style.

Django emits "format" (``%s``) and "pyformat" (``%(name)s``) placeholders;
libsql only takes positional ``?`` with a restricted set of Python types.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from .errors import ProgrammingError

_PLACEHOLDER = re.compile(r"%%|%s|%\((\w+)\)s")
# libsql binds Python ints outside the signed 32-bit range as REAL, losing
# precision, so such values are written into the SQL as integer literals.
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def adapt(value: Any, position: int) -> Any:
    """Return a value libsql binds faithfully, as sqlite3's adapters would."""
    if value is None or isinstance(value, (str, float, bytes)):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, (memoryview, bytearray)):
        return bytes(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return value.hex
    raise ProgrammingError(
        f"parameter {position} has unsupported type {type(value).__name__}; "
        "serialise it (e.g. json.dumps) before binding"
    )


def is_wide_int(value: Any) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and not _INT32_MIN <= value <= _INT32_MAX
    )


def bind(query: str, params: Sequence[Any] | Mapping[str, Any] | None) -> tuple[str, list[Any]]:
    """Translate ``query`` and ``params`` into libsql's SQL and argument list.

    With ``params=None`` the query is passed through untouched (as sqlite3's
    Django wrapper does: no ``%`` processing). Placeholders must match the
    parameters exactly; libsql silently binds NULL for missing ones.
    """
    if params is None:
        return query, []
    if not isinstance(params, Mapping):
        fast = _positional_fast(query, params)
        if fast is not None:
            return fast
    args: list[Any] = []
    named = isinstance(params, Mapping)
    positional = iter(()) if named else iter(params)  # type: ignore[arg-type]
    used = 0

    def substitute(match: re.Match[str]) -> str:
        nonlocal used
        placeholder = match.group(0)
        if placeholder == "%%":
            return "%"
        if named:
            name = match.group(1)
            if name is None:
                raise ProgrammingError("mixed %s and %(name)s placeholders in one query")
            try:
                value = params[name]  # type: ignore[index]
            except KeyError:
                raise ProgrammingError(f"no value supplied for parameter {name!r}") from None
        else:
            if match.group(1) is not None:
                raise ProgrammingError("named placeholder used with positional parameters")
            try:
                value = next(positional)
            except StopIteration:
                raise ProgrammingError(
                    f"query has more placeholders than the {used} parameters supplied"
                ) from None
        used += 1
        if is_wide_int(value):
            # Parenthesised: "5 -%s" with a negative literal must not become "5 --…" (a comment).
            return f"({int(value)})"
        args.append(adapt(value, used))
        return "?"

    sql = _PLACEHOLDER.sub(substitute, query)
    if not named and next(positional, _END) is not _END:
        raise ProgrammingError(f"query has {used} placeholders but more parameters were supplied")
    return sql, args


_END = object()


@lru_cache(maxsize=512)
def _qmark_template(query: str) -> tuple[str, int] | None:
    """``query`` with its ``%s`` turned into ``?`` and ``%%`` into ``%``, and the
    placeholder count; None when it holds named placeholders (the slow path decides)."""
    count = 0

    def substitute(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(1) is not None:
            raise LookupError
        if match.group(0) == "%%":
            return "%"
        count += 1
        return "?"

    try:
        return _PLACEHOLDER.sub(substitute, query), count
    except LookupError:
        return None


def _positional_fast(query: str, params: Sequence[Any]) -> tuple[str, list[Any]] | None:
    """The common case without a regex pass: positional values, none a wide integer.

    Hot statements repeat, so their translated SQL is cached; anything unusual
    (a count mismatch, a wide integer to inline) returns None for the full path
    and its precise error.
    """
    template = _qmark_template(query)
    if template is None or template[1] != len(params):
        return None
    args: list[Any] = []
    for position, value in enumerate(params, 1):
        if type(value) is int:
            if not _INT32_MIN <= value <= _INT32_MAX:
                return None
            args.append(value)
        elif value is None or type(value) is str:
            args.append(value)
        else:
            if is_wide_int(value):
                return None
            args.append(adapt(value, position))
    return template[0], args
