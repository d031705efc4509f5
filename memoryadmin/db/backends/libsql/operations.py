"""SQL generation for features Django's sqlite backend implements in Python.

Django's sqlite3 backend registers Python functions (``django_date_trunc``
and friends) with ``create_function``; libsql has no such hook. Date and
time extraction/truncation are rewritten in plain SQL (``strftime``) for UTC,
which is where ``USE_TZ`` stores datetimes. Anything that cannot be
expressed in SQL raises ``NotSupportedError`` naming the feature, never a
silently wrong answer.
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.backends.sqlite3.operations import DatabaseOperations as SQLiteOperations

Params = tuple[Any, ...] | list[Any]

_EXTRACT_FORMATS = {
    "year": "%Y",
    "month": "%m",
    "day": "%d",
    "hour": "%H",
    "minute": "%M",
    "second": "%S",
}
# Truncation formats yielding the datetime text Django stores.
_TRUNC_DATETIME = {
    "year": "%Y-01-01 00:00:00",
    "month": "%Y-%m-01 00:00:00",
    "day": "%Y-%m-%d 00:00:00",
    "hour": "%Y-%m-%d %H:00:00",
    "minute": "%Y-%m-%d %H:%M:00",
    "second": "%Y-%m-%d %H:%M:%S",
}
_UTC_NAMES = {None, "UTC", "Etc/UTC", "GMT", "Z"}


def _require_utc(tzname: str | None, what: str) -> None:
    if tzname not in _UTC_NAMES:
        raise NotSupportedError(
            f"{what} in time zone {tzname!r} is not supported by the libsql backend "
            "(no create_function); convert in Python or use UTC"
        )


def _extract(lookup_type: str, sql: str) -> str:
    lookup = lookup_type.lower()
    if lookup in _EXTRACT_FORMATS:
        return f"CAST(strftime('{_EXTRACT_FORMATS[lookup]}', {sql}) AS INTEGER)"
    if lookup == "week_day":  # Sunday=1 .. Saturday=7
        return f"(CAST(strftime('%w', {sql}) AS INTEGER) + 1)"
    if lookup == "iso_week_day":  # Monday=1 .. Sunday=7
        return f"((CAST(strftime('%w', {sql}) AS INTEGER) + 6) % 7 + 1)"
    if lookup == "quarter":
        return f"((CAST(strftime('%m', {sql}) AS INTEGER) + 2) / 3)"
    raise NotSupportedError(
        f"Extract('{lookup_type}') (__{lookup} lookups) is not supported by the libsql backend"
    )


def _trunc_datetime(lookup_type: str, sql: str) -> str:
    lookup = lookup_type.lower()
    if lookup in _TRUNC_DATETIME:
        return f"strftime('{_TRUNC_DATETIME[lookup]}', {sql})"
    if lookup == "quarter":
        return (
            f"strftime('%Y-', {sql}) || printf('%02d', "
            f"((CAST(strftime('%m', {sql}) AS INTEGER) - 1) / 3) * 3 + 1) || '-01 00:00:00'"
        )
    if lookup == "week":  # ISO weeks start on Monday
        return (
            f"strftime('%Y-%m-%d 00:00:00', {sql}, '-' || "
            f"((CAST(strftime('%w', {sql}) AS INTEGER) + 6) % 7) || ' days')"
        )
    raise NotSupportedError(f"Trunc('{lookup_type}') is not supported by the libsql backend")


class DatabaseOperations(SQLiteOperations):
    def _quote_params_for_last_executed_query(self, params: Any) -> tuple[Any, ...]:
        """Quote parameters by the engine (for DEBUG's query log), in batches.

        Django's sqlite version sends ``QUOTE(?)`` straight to the driver; our
        driver takes Django's ``%s`` style, so the same query is built with it.
        """
        batch = 999
        results: tuple[Any, ...] = ()
        for index in range(0, len(params), batch):
            chunk = tuple(params[index : index + batch])
            sql = "SELECT " + ", ".join(["QUOTE(%s)"] * len(chunk))
            cursor = self.connection.connection.cursor()  # unlogged: no recursion
            try:
                results += tuple(cursor.execute(sql, chunk).fetchone())
            finally:
                cursor.close()
        return results

    def regex_lookup(self, lookup_type: str) -> str:
        if lookup_type == "regex":
            # The engine's built-in REGEXP (a POSIX/Perl subset without inline flags).
            return "%s REGEXP %s"
        raise NotSupportedError(
            "__iregex lookups are not supported by the libsql backend: its REGEXP has no "
            "case-insensitive flag; use __regex with an explicit character class"
        )

    def date_extract_sql(self, lookup_type: str, sql: str, params: Params) -> tuple[str, Params]:
        return _extract(lookup_type, sql), params

    def datetime_extract_sql(
        self, lookup_type: str, sql: str, params: Params, tzname: str | None
    ) -> tuple[str, Params]:
        _require_utc(tzname, f"Extract('{lookup_type}')")
        return _extract(lookup_type, sql), params

    def time_extract_sql(self, lookup_type: str, sql: str, params: Params) -> tuple[str, Params]:  # type: ignore[override]
        if lookup_type.lower() not in ("hour", "minute", "second"):
            raise NotSupportedError(f"Extract('{lookup_type}') on a TimeField is not supported")
        return _extract(lookup_type, sql), params

    def date_trunc_sql(
        self, lookup_type: str, sql: str, params: Params, tzname: str | None = None
    ) -> tuple[str, Params]:
        _require_utc(tzname, f"Trunc('{lookup_type}')")
        if lookup_type.lower() not in ("year", "quarter", "month", "week", "day"):
            raise NotSupportedError(f"Trunc('{lookup_type}') on a DateField is not supported")
        return f"substr({_trunc_datetime(lookup_type, sql)}, 1, 10)", params

    def datetime_trunc_sql(  # type: ignore[override]
        self, lookup_type: str, sql: str, params: Params, tzname: str | None
    ) -> tuple[str, Params]:
        _require_utc(tzname, f"Trunc('{lookup_type}')")
        return _trunc_datetime(lookup_type, sql), params

    def time_trunc_sql(  # type: ignore[override]
        self, lookup_type: str, sql: str, params: Params, tzname: str | None = None
    ) -> tuple[str, Params]:
        raise NotSupportedError("Trunc() on a TimeField is not supported by the libsql backend")

    def datetime_cast_date_sql(
        self, sql: str, params: Params, tzname: str | None
    ) -> tuple[str, Params]:
        _require_utc(tzname, "TruncDate / __date")
        return f"date({sql})", params

    def datetime_cast_time_sql(
        self, sql: str, params: Params, tzname: str | None
    ) -> tuple[str, Params]:
        _require_utc(tzname, "TruncTime / __time")
        # Stored text is 'YYYY-MM-DD HH:MM:SS[.ffffff]'; keep the fraction.
        return f"substr({sql}, 12)", params

    def combine_duration_expression(self, connector: str, sub_expressions: list[str]) -> str:
        raise NotSupportedError("DurationField arithmetic is not supported by the libsql backend")

    def subtract_temporals(self, internal_type: str, lhs: Any, rhs: Any) -> tuple[str, Params]:  # type: ignore[override]
        raise NotSupportedError(
            f"subtracting {internal_type} values is not supported by the libsql backend"
        )
