"""get_provider() configuration and the OpenAI-compatible provider against a local server."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from episodes.embeddings import local
from episodes.embeddings.local import LocalMiniLMProvider
from episodes.embeddings.providers import (
    API_BATCH,
    EmbeddingError,
    EmbeddingProvider,
    OpenAICompatibleProvider,
)
from tests.conftest import ROOT
from tests.netfixtures import refused_port, silent_server


def test_none_is_the_default_and_means_no_provider(use_provider) -> None:  # type: ignore[no-untyped-def]
    assert use_provider("none") is None


def test_unknown_names_and_missing_settings_are_one_line_errors(use_provider) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImproperlyConfigured, match="must be one of none, local, openai"):
        use_provider("magic")
    with pytest.raises(ImproperlyConfigured, match="needs EMBEDDINGS_API_URL"):
        use_provider("openai", EMBEDDINGS_MODEL="m")
    with pytest.raises(ImproperlyConfigured, match="needs EMBEDDINGS_MODEL"):
        use_provider("openai", EMBEDDINGS_API_URL="http://127.0.0.1:9/v1")
    with pytest.raises(ImproperlyConfigured, match="http"):
        use_provider("openai", EMBEDDINGS_API_URL="file:///etc/passwd", EMBEDDINGS_MODEL="m")
    with pytest.raises(ImproperlyConfigured, match="EMBEDDINGS_API_TIMEOUT"):
        use_provider(
            "openai",
            EMBEDDINGS_API_URL="http://127.0.0.1:9",
            EMBEDDINGS_MODEL="m",
            EMBEDDINGS_API_TIMEOUT="soon",
        )


def test_local_is_one_shared_instance(use_provider) -> None:  # type: ignore[no-untyped-def]
    provider = use_provider("local")
    assert isinstance(provider, LocalMiniLMProvider) and isinstance(provider, EmbeddingProvider)
    assert use_provider("local") is provider


def test_local_without_the_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "REQUIRED_MODULES", (*local.REQUIRED_MODULES, "not_installed_xyz"))
    with pytest.raises(ImproperlyConfigured) as caught:
        LocalMiniLMProvider()
    message = str(caught.value)
    assert "\n" not in message
    assert message == (
        "EMBEDDINGS_PROVIDER=local needs not_installed_xyz: "
        "install the 'local' extra: pip install 'memoryadmin[local]'"
    )


def test_the_environment_picks_the_provider_in_a_fresh_process(project_env) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import django; django.setup();"
        "from episodes.embeddings import get_provider;"
        "p = get_provider(); print(type(p).__name__, p.model_id, p.dimension,"
        " len(p.embed(['hello'])[0]))"
    )
    env = {**project_env, "EMBEDDINGS_PROVIDER": "Local"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["LocalMiniLMProvider", "all-MiniLM-L6-v2-onnx-int8", "384", "384"]


def test_openai_provider_posts_batches_and_keeps_the_order(use_provider, fake_api) -> None:  # type: ignore[no-untyped-def]
    api, url = fake_api
    provider = use_provider(
        "openai",
        EMBEDDINGS_API_URL=url + "/",
        EMBEDDINGS_MODEL="emb-small",
        EMBEDDINGS_API_KEY="sk-x",
    )
    assert isinstance(provider, OpenAICompatibleProvider) and provider.model_id == "emb-small"
    texts = [f"text {'x' * i}" for i in range(API_BATCH + 6)]
    vectors = provider.embed(texts)
    assert [v[0] for v in vectors] == [float(len(t)) for t in texts]  # answer was reversed
    assert provider.dimension == 3
    assert [len(r["payload"]["input"]) for r in api.requests] == [API_BATCH, 6]
    first = api.requests[0]
    assert first["path"] == "/v1/embeddings"
    assert first["payload"]["model"] == "emb-small"
    assert first["headers"]["Authorization"] == "Bearer sk-x"
    assert "sk-x" not in repr(provider)


def test_openai_dimension_is_probed_once_when_not_configured(use_provider, fake_api) -> None:  # type: ignore[no-untyped-def]
    api, url = fake_api
    api.dimension = 5
    provider = use_provider("openai", EMBEDDINGS_API_URL=url + "/embeddings", EMBEDDINGS_MODEL="p")
    assert provider.dimension == 5 and provider.dimension == 5
    assert len(api.requests) == 1 and "Authorization" not in api.requests[0]["headers"]


def test_openai_errors_are_clear_and_never_show_the_key(use_provider, fake_api) -> None:  # type: ignore[no-untyped-def]
    api, url = fake_api
    env = {"EMBEDDINGS_API_URL": url, "EMBEDDINGS_MODEL": "m", "EMBEDDINGS_API_KEY": "sk-secret"}
    provider = use_provider("openai", **env)
    api.status, api.body = 401, json.dumps({"error": "bad key sk-secret"}).encode()
    with pytest.raises(EmbeddingError) as caught:
        provider.embed(["a"])
    assert "answered HTTP 401" in str(caught.value) and "sk-secret" not in str(caught.value)
    api.status, api.body = 200, b"<html>oops</html>"
    with pytest.raises(EmbeddingError, match="not JSON"):
        provider.embed(["a"])
    api.body = b'{"data": [{"index": 0}]}'
    with pytest.raises(EmbeddingError, match=r"without data\[\]\.embedding"):
        provider.embed(["a"])
    api.body = None
    with pytest.raises(EmbeddingError, match="returned 3-dimensional vectors, expected 4"):
        use_provider("openai", EMBEDDINGS_DIMENSION="4", **env).embed(["a"])


def test_openai_timeout_and_refused_connection(use_provider) -> None:  # type: ignore[no-untyped-def]
    with silent_server() as port:
        provider = use_provider(
            "openai",
            EMBEDDINGS_API_URL=f"http://127.0.0.1:{port}/v1",
            EMBEDDINGS_MODEL="m",
            EMBEDDINGS_API_TIMEOUT="0.3",
        )
        started = time.monotonic()
        with pytest.raises(EmbeddingError, match=r"unreachable \(timeout 0.3 s\)"):
            provider.embed(["a"])
        assert time.monotonic() - started < 3
    provider = use_provider(
        "openai", EMBEDDINGS_API_URL=f"http://127.0.0.1:{refused_port()}", EMBEDDINGS_MODEL="m"
    )
    with pytest.raises(EmbeddingError, match="unreachable"):
        provider.embed(["a"])
