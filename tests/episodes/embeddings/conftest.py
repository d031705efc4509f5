from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from episodes.embeddings.local import LocalMiniLMProvider
from episodes.embeddings.providers import get_provider
from episodes.embeddings.search import forget_memory_indexes

REFERENCE = json.loads((Path(__file__).parent / "reference_minilm.json").read_text())["vectors"]


@pytest.fixture(scope="session")
def minilm() -> LocalMiniLMProvider:
    """The real local provider (the test suite installs the `local` extra)."""
    return LocalMiniLMProvider()


@pytest.fixture(autouse=True)
def _fresh_matrices() -> Iterator[None]:
    forget_memory_indexes()
    yield
    forget_memory_indexes()


@pytest.fixture
def use_provider(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Select EMBEDDINGS_PROVIDER (and its env settings) for one test."""

    def use(name: str, **env: str) -> Any:
        settings.EMBEDDINGS_PROVIDER = name
        for key in ("EMBEDDINGS_API_URL", "EMBEDDINGS_API_KEY", "EMBEDDINGS_MODEL"):
            monkeypatch.delenv(key, raising=False)
        for key in ("EMBEDDINGS_API_TIMEOUT", "EMBEDDINGS_DIMENSION"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return get_provider()

    return use


class FakeEmbeddingsAPI:
    """A tiny OpenAI-compatible /v1/embeddings on 127.0.0.1 that records requests."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.body: bytes | None = None  # overrides the computed answer
        self.dimension = 3
        self.reverse = True  # answer rows out of order: clients must sort by index

    def answer(self, payload: dict[str, Any]) -> bytes:
        if self.body is not None:
            return self.body
        rows = [
            {
                "object": "embedding",
                "index": i,
                "embedding": [float(len(text))] + [0.5] * (self.dimension - 1),
            }
            for i, text in enumerate(payload["input"])
        ]
        if self.reverse:
            rows.reverse()
        return json.dumps({"object": "list", "data": rows, "model": payload["model"]}).encode()


@pytest.fixture
def fake_api() -> Iterator[tuple[FakeEmbeddingsAPI, str]]:
    api = FakeEmbeddingsAPI()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            payload = json.loads(self.rfile.read(length))
            api.requests.append(
                {"path": self.path, "headers": dict(self.headers), "payload": payload}
            )
            body = api.answer(payload)
            self.send_response(api.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)
