"""Environment → settings: modes, and one clear line for every mistake."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import database_settings
from tests.conftest import PYTHON, ROOT


def test_embedded_default_is_a_file_under_data(tmp_path: Path, monkeypatch) -> None:
    for name in ("TURSO_DATABASE_URL", "TURSO_AUTH_TOKEN", "LIBSQL_DATABASE_PATH"):
        monkeypatch.delenv(name, raising=False)
    db = database_settings(tmp_path)
    assert db["ENGINE"] == "memoryadmin.db.backends.libsql"
    assert db["NAME"] == str(tmp_path / "memory.db")


def test_remote_mode_takes_url_and_token(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TURSO_DATABASE_URL", "libsql://memories-acme.turso.io")
    monkeypatch.setenv("TURSO_AUTH_TOKEN", "secret-token")
    db = database_settings(tmp_path)
    assert db["NAME"] == "libsql://memories-acme.turso.io"
    assert db["OPTIONS"] == {"auth_token": "secret-token", "remote_deadline": 3.0}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TURSO_DATABASE_URL": "http://db.example.com", "TURSO_AUTH_TOKEN": "t"}, "TLS"),
        ({"TURSO_DATABASE_URL": "libsql://db.turso.io"}, "TURSO_AUTH_TOKEN is required"),
        ({"TURSO_DATABASE_URL": "ftp://x"}, "must look like"),
        ({"TURSO_AUTH_TOKEN": "t"}, "TURSO_DATABASE_URL is not"),
        ({"LIBSQL_BUSY_TIMEOUT_MS": "soon"}, "not an integer"),
    ],
)
def test_bad_settings_fail_with_a_clear_message(tmp_path: Path, monkeypatch, env, message) -> None:
    for name in ("TURSO_DATABASE_URL", "TURSO_AUTH_TOKEN", "LIBSQL_BUSY_TIMEOUT_MS"):
        monkeypatch.delenv(name, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        database_settings(tmp_path)


def test_loopback_http_is_allowed_without_tls(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TURSO_DATABASE_URL", "http://127.0.0.1:8080")
    monkeypatch.delenv("TURSO_AUTH_TOKEN", raising=False)
    assert database_settings(tmp_path)["NAME"] == "http://127.0.0.1:8080"


def test_start_up_reports_a_bad_setting_in_one_line(project_env: dict[str, str]) -> None:
    env = {
        **project_env,
        "TURSO_DATABASE_URL": "http://db.example.com",
        "TURSO_AUTH_TOKEN": "tok-123",
    }
    result = subprocess.run(
        [PYTHON, "manage.py", "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("memoryadmin: configuration error: ")
    assert "tok-123" not in result.stderr
