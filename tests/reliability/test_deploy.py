"""`check --deploy` is clean with production settings, and those settings take effect."""

from __future__ import annotations

import json
import secrets
import subprocess

import pytest

from tests.conftest import PYTHON, ROOT

HOST = "memory.example.com"


@pytest.fixture
def production(project_env: dict[str, str]) -> dict[str, str]:
    # Nothing DJANGO_* from the test process (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE).
    clean = {k: v for k, v in project_env.items() if not k.startswith("DJANGO_")}
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": HOST,
    }


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings(production: dict[str, str]) -> None:
    result = _run(production, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_without_django_secure_check_deploy_warns(production: dict[str, str]) -> None:
    env = {k: v for k, v in production.items() if k != "DJANGO_SECURE"}
    result = _run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):  # HSTS, SSL redirect, both cookies
        assert warning in result.stderr


PROBE = f"""
import django, json
django.setup()
from django.test import Client
client = Client(HTTP_HOST="{HOST}")
plain = client.get("/accounts/login/")
liveness = client.get("/healthz")
secure = Client(HTTP_HOST="{HOST}").get("/accounts/login/", secure=True)
other = Client(HTTP_HOST="evil.example.org").get("/accounts/login/", secure=True)
print(json.dumps({{
    "plain": [plain.status_code, plain.headers.get("Location")],
    "liveness": liveness.status_code,
    "secure": secure.status_code,
    "hsts": secure.headers.get("Strict-Transport-Security"),
    "frame": secure.headers.get("X-Frame-Options"),
    "cookie_secure": bool(secure.cookies["csrftoken"]["secure"]),
    "other_host": other.status_code,
}}))
"""


def test_production_settings_take_effect(production: dict[str, str]) -> None:
    result = _run(production, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, f"https://{HOST}/accounts/login/"]
    # The probe answers over plain HTTP, never redirected (and its fresh database answers).
    assert seen["liveness"] == 200
    assert seen["secure"] == 200
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["frame"] == "DENY"
    assert seen["cookie_secure"] is True
    assert seen["other_host"] == 400  # DJANGO_ALLOWED_HOSTS is enforced
