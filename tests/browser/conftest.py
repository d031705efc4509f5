"""Browser tests: Debian's chromium driven by Playwright against a real server.

The server is what `make run` starts (gunicorn sync workers + the django-q2
cluster), launched on a free loopback port and pointed at the test database
file, so data the tests commit is what the browser sees.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import PYTHON, ROOT
from tests.netfixtures import free_port

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the tests make between browser steps are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
# Not test-results/: pytest-playwright empties that folder at session end.
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def console_server(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """gunicorn (2 sync workers) + qcluster on the test database; yields the base URL."""
    with django_db_blocker.unblock():
        db_name = connection.settings_dict["NAME"]
    data = tmp_path_factory.mktemp("browser-data")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TURSO_", "LIBSQL_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "MEMORYADMIN_DATA_DIR": str(data),
        "LIBSQL_DATABASE_PATH": str(db_name),
        "REDB_CACHE_PATH": str(data / "cache.redb"),
        "EMBEDDINGS_PROVIDER": "none",
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True
    )
    server = subprocess.Popen(
        [PYTHON, "manage.py", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                os.killpg(server.pid, signal.SIGKILL)
                raise RuntimeError("the console server did not start") from None
            time.sleep(0.3)
    yield base
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def shot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.fixture
def no_overflow() -> Any:
    def check(page: Any) -> None:
        overflow = page.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"
        )
        assert not overflow, "the page scrolls sideways"

    return check


assert settings  # settings are configured by pytest-django before this module is used
