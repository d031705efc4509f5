"""The versioned envelope every cache value is stored in.

Layout (field order matters): b"MA" magic, envelope version (1 byte),
codec (1 byte: 0 = JSON, 1 = zlib-compressed JSON), payload. A value
written by another envelope version is reported, never misread.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

MAGIC = b"MA"
VERSION = 1
CODEC_JSON = 0
CODEC_ZLIB = 1
COMPRESS_OVER = 512  # bytes of JSON; smaller values are not worth the CPU


class EnvelopeError(ValueError):
    """The bytes are not an envelope this code understands."""


def pack(value: Any) -> bytes:
    payload = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    if len(payload) > COMPRESS_OVER:
        return MAGIC + bytes((VERSION, CODEC_ZLIB)) + zlib.compress(payload, 1)
    return MAGIC + bytes((VERSION, CODEC_JSON)) + payload


def unpack(blob: bytes) -> Any:
    if len(blob) < 4 or blob[:2] != MAGIC:
        raise EnvelopeError("not a memory-admin cache value")
    version, codec = blob[2], blob[3]
    if version != VERSION:
        raise EnvelopeError(f"envelope version {version}, this code reads {VERSION}")
    body = blob[4:]
    try:
        if codec == CODEC_ZLIB:
            body = zlib.decompress(body)
        elif codec != CODEC_JSON:
            raise EnvelopeError(f"unknown codec {codec}")
        return json.loads(body)
    except (zlib.error, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EnvelopeError(f"damaged value: {exc}") from exc
