"""Field types shared by the API schemas of every app."""

from __future__ import annotations

from typing import Any

from pydantic import BeforeValidator


def _json_integer(value: Any) -> Any:
    """JSON Schema integers: 3 and 3.0, never "3" or true (query strings use plain int)."""
    if isinstance(value, bool | str):
        raise ValueError("must be an integer")
    return value


# Put it after the bounds (Annotated[int, Ge(0), Le(9), JSON_INTEGER]) so the
# OpenAPI schema shows minimum/maximum.
JSON_INTEGER = BeforeValidator(_json_integer)
