"""The DB-API exception classes, and the translation of libsql's engine errors.

libsql 0.1.11 raises a plain ``ValueError`` for every engine error and panics
when a closed connection is used; these classes are what Django (through
``dbapi``) and our code catch, chosen by the engine's message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import libsql


class Warning(Exception):
    pass


class Error(Exception):
    pass


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


# SQL functions Django's sqlite backend registers with create_function, which
# libsql lacks, mapped to the ORM feature a developer would recognise.
MISSING_FUNCTIONS: dict[str, str] = {
    "rand": "order_by('?') / Random()",
    "mod": "Mod()",
    "log": "Log() with two arguments",
    "repeat": "Repeat()",
    "lpad": "LPad()",
    "rpad": "RPad()",
    "md5": "MD5()",
    "sha1": "SHA1()",
    "sha224": "SHA224()",
    "sha256": "SHA256()",
    "sha384": "SHA384()",
    "sha512": "SHA512()",
    "bitxor": "bitxor() / the ^ operator on F() expressions",
    "stddev_pop": "StdDev()",
    "stddev_samp": "StdDev(sample=True)",
    "var_pop": "Variance()",
    "var_samp": "Variance(sample=True)",
    "django_format_dtdelta": "DurationField arithmetic",
    "django_time_diff": "subtracting TimeField values",
    "django_timestamp_diff": "subtracting DateTimeField values",
}

_RULES: list[tuple[re.Pattern[str], type[Error]]] = [
    (re.compile(r"constraint failed|constraint violation", re.I), IntegrityError),
    (re.compile(r"datatype mismatch|too big|out of range|overflow", re.I), DataError),
    (
        re.compile(
            r"locked|busy|no such (table|column|index|savepoint)|syntax error|"
            r"already exists|unable to open|disk i/o|readonly|read-only|"
            r"no transaction|cannot (start|commit|rollback)|interrupt|"
            r"wrong number of arguments|has no column|ambiguous column|"
            r"connection|timed out|timeout|http|hrana|stream|dns|refused|tls",
            re.I,
        ),
        OperationalError,
    ),
    (re.compile(r"unsupported parameter|parameter", re.I), ProgrammingError),
]

_NO_SUCH_FUNCTION = re.compile(r"no such function: (\w+)", re.I)


def translate(exc: BaseException) -> Error:
    """Return the DB-API error for an engine error (always a new instance)."""
    message = str(exc)
    if missing := _NO_SUCH_FUNCTION.search(message):
        name = missing.group(1)
        feature = MISSING_FUNCTIONS.get(name.lower(), f"the SQL function {name}()")
        return NotSupportedError(
            f"{feature} is not supported by the libsql backend: libsql cannot "
            f"register Python functions, so SQL function {name}() does not exist"
        )
    if type(exc).__name__ == "PanicException":
        return InterfaceError(f"libsql panicked (connection closed or unusable): {message}")
    for pattern, error_class in _RULES:
        if pattern.search(message):
            return error_class(message)
    return DatabaseError(message)


ENGINE_ERRORS: tuple[type[BaseException], ...] = (ValueError, libsql.Error)


@contextmanager
def engine_errors() -> Iterator[None]:
    """Translate engine errors (and libsql's panics) into DB-API errors."""
    try:
        yield
    except Error:
        raise
    except ENGINE_ERRORS as exc:
        raise translate(exc) from exc
    except BaseException as exc:
        # pyo3's PanicException derives from BaseException, so a bare
        # `except Exception` upstream would let it kill the worker.
        if type(exc).__name__ == "PanicException":
            raise translate(exc) from exc
        raise
