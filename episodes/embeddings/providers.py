"""Embedding providers, chosen by ``EMBEDDINGS_PROVIDER`` = none | local | openai.

"none" (the default install) means no provider at all: ``get_provider()``
returns ``None`` and retrieval runs on keyword + context + reward + recency.
There is no stand-in object whose vectors could be stored by mistake.

Nothing here downloads anything: the local provider reads files installed by
registry packages, the openai provider talks only to the configured URL.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import urllib.error
import urllib.request
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from episodes.embeddings.local import LocalMiniLMProvider

logger = logging.getLogger(__name__)

PROVIDERS = ("none", "local", "openai")
API_BATCH = 64  # texts per HTTP request; OpenAI accepts up to 2048, small servers less
DEFAULT_TIMEOUT = 10.0


class EmbeddingError(Exception):
    """A provider could not produce vectors (endpoint down, bad answer, timeout)."""


@runtime_checkable
class EmbeddingProvider(Protocol):
    model_id: str

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One unit-length vector of ``dimension`` floats per text, in order."""
        ...


class OpenAICompatibleProvider:
    """``POST {url}/embeddings`` of an OpenAI-compatible server.

    ``url`` is the API base (``https://api.openai.com/v1``) or the full
    ``.../embeddings`` endpoint. The key goes only into the Authorization
    header: it is never logged and is masked out of error messages.
    """

    def __init__(
        self,
        *,
        url: str,
        model: str,
        api_key: str = "",
        timeout: float = DEFAULT_TIMEOUT,
        dimension: int | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ImproperlyConfigured(f"EMBEDDINGS_API_URL must be an http(s) URL, got {url!r}")
        if not model:
            raise ImproperlyConfigured("EMBEDDINGS_PROVIDER=openai needs EMBEDDINGS_MODEL")
        base = url.rstrip("/")
        self.endpoint = base if base.endswith("/embeddings") else base + "/embeddings"
        self.model_id = model
        self.timeout = timeout
        self._api_key = api_key
        self._dimension = dimension

    def __repr__(self) -> str:
        return f"OpenAICompatibleProvider(endpoint={self.endpoint!r}, model={self.model_id!r})"

    @property
    def dimension(self) -> int:
        """EMBEDDINGS_DIMENSION when set, else learnt from the first answer (one probe call)."""
        if self._dimension is None:
            self.embed(["dimension probe"])
        assert self._dimension is not None
        return self._dimension

    def embed(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), API_BATCH):
            vectors.extend(self._request(texts[start : start + API_BATCH]))
        return vectors

    def _mask(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text

    def _request(self, texts: list[str]) -> list[list[float]]:
        body = json.dumps({"model": self.model_id, "input": texts}).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked in __init__
            self.endpoint, data=body, headers=headers, method="POST"
        )
        where = f"embeddings API {self.endpoint}"
        try:
            # The scheme is checked in __init__ (http/https only).
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = self._mask(exc.read(300).decode("utf-8", "replace").strip())
            logger.warning("%s answered HTTP %s", where, exc.code)
            raise EmbeddingError(f"{where} answered HTTP {exc.code}: {detail}") from None
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            logger.warning("%s unreachable: %s", where, reason)
            raise EmbeddingError(
                f"{where} unreachable (timeout {self.timeout:g} s): {self._mask(str(reason))}"
            ) from None
        except ValueError:
            raise EmbeddingError(f"{where} answered something that is not JSON") from None
        return self._vectors(payload, len(texts), where)

    def _vectors(self, payload: Any, count: int, where: str) -> list[list[float]]:
        try:
            rows = sorted(payload["data"], key=lambda row: row["index"])
            vectors = [[float(x) for x in row["embedding"]] for row in rows]
        except (KeyError, TypeError, ValueError):
            raise EmbeddingError(f"{where} answered without data[].embedding vectors") from None
        if len(vectors) != count:
            raise EmbeddingError(f"{where} returned {len(vectors)} vectors for {count} texts")
        lengths = {len(v) for v in vectors}
        if len(lengths) != 1 or 0 in lengths:
            raise EmbeddingError(f"{where} returned vectors of lengths {sorted(lengths)}")
        (length,) = lengths
        if self._dimension is not None and length != self._dimension:
            raise EmbeddingError(
                f"{where} returned {length}-dimensional vectors, expected {self._dimension}"
                " (EMBEDDINGS_DIMENSION)"
            )
        self._dimension = length
        return vectors


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, got {raw!r}") from None


def _env_dimension() -> int | None:
    raw = os.environ.get("EMBEDDINGS_DIMENSION", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) == 0:
        raise ImproperlyConfigured(f"EMBEDDINGS_DIMENSION must be a positive integer, got {raw!r}")
    return int(raw)


@functools.lru_cache(maxsize=8)
def _cached_provider(name: str, config: tuple[Any, ...]) -> EmbeddingProvider:
    if name == "local":
        return LocalMiniLMProvider()
    url, model, api_key, timeout, dimension = config
    return OpenAICompatibleProvider(
        url=url, model=model, api_key=api_key, timeout=timeout, dimension=dimension
    )


def provider_name() -> str:
    """The configured provider name (settings.EMBEDDINGS_PROVIDER, from the environment)."""
    name = str(getattr(settings, "EMBEDDINGS_PROVIDER", "none") or "none").strip().lower()
    if name not in PROVIDERS:
        raise ImproperlyConfigured(
            f"EMBEDDINGS_PROVIDER must be one of {', '.join(PROVIDERS)}; got {name!r}"
        )
    return name


def get_provider() -> EmbeddingProvider | None:
    """The configured provider (one instance per process and configuration), or None for "none"."""
    name = provider_name()
    if name == "none":
        return None
    if name == "local":
        return _cached_provider("local", ())
    url = os.environ.get("EMBEDDINGS_API_URL", "").strip()
    if not url:
        raise ImproperlyConfigured("EMBEDDINGS_PROVIDER=openai needs EMBEDDINGS_API_URL")
    config = (
        url,
        os.environ.get("EMBEDDINGS_MODEL", "").strip(),
        os.environ.get("EMBEDDINGS_API_KEY", "").strip(),
        _env_float("EMBEDDINGS_API_TIMEOUT", DEFAULT_TIMEOUT),
        _env_dimension(),
    )
    return _cached_provider("openai", config)
