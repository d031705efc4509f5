"""Reading the environment into Django settings, with one clear line per mistake."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from memoryadmin.db.backends.libsql.remote import is_loopback

ENGINE = "memoryadmin.db.backends.libsql"


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def database_settings(data_dir: Path) -> dict[str, object]:
    """DATABASES['default'] for the embedded (default) or remote Turso mode."""
    url = os.environ.get("TURSO_DATABASE_URL", "").strip()
    token = os.environ.get("TURSO_AUTH_TOKEN", "").strip()
    deadline = env_int("LIBSQL_REMOTE_DEADLINE_MS", 3000, minimum=50) / 1000
    common = {"ENGINE": ENGINE, "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("libsql", "https", "http") or not parts.hostname:
            raise ImproperlyConfigured(
                "TURSO_DATABASE_URL must look like libsql://<db>.turso.io or https://host[:port]"
            )
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ImproperlyConfigured(
                "TURSO_DATABASE_URL uses plain http to a non-loopback host; TLS (libsql:// or "
                "https://) is required except for 127.0.0.1/localhost"
            )
        if not token and not is_loopback(parts.hostname):
            raise ImproperlyConfigured(
                "TURSO_AUTH_TOKEN is required with a remote TURSO_DATABASE_URL"
            )
        return {
            **common,
            # sqld expires an idle stream after 10 s and libsql never recovers
            # the connection, so remote connections are not kept longer.
            "CONN_MAX_AGE": 5,
            "NAME": url,
            "OPTIONS": {"auth_token": token, "remote_deadline": deadline},
            "TEST": {
                "NAME": os.environ.get("LIBSQL_TEST_DATABASE_PATH")
                or str(data_dir / "test_memory.db")
            },
        }
    if token:
        raise ImproperlyConfigured("TURSO_AUTH_TOKEN is set but TURSO_DATABASE_URL is not")
    path = Path(os.environ.get("LIBSQL_DATABASE_PATH") or data_dir / "memory.db")
    if not path.parent.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(
                f"LIBSQL_DATABASE_PATH directory {path.parent} cannot be created: {exc}"
            ) from None
    test_path = os.environ.get("LIBSQL_TEST_DATABASE_PATH") or str(path.parent / "test_memory.db")
    return {
        **common,
        "NAME": str(path),
        # BEGIN IMMEDIATE: a transaction takes the write lock up front and waits
        # for it (busy timeout) instead of failing on a stale WAL snapshot later.
        "OPTIONS": {
            "busy_timeout_ms": env_int("LIBSQL_BUSY_TIMEOUT_MS", 5000, minimum=0),
            "transaction_mode": "IMMEDIATE",
        },
        "TEST": {"NAME": test_path},
    }


def secret_key(data_dir: Path, debug: bool) -> str:
    """DJANGO_SECRET_KEY, or a key generated once into the data directory."""
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    key_file = data_dir / ".secret_key"
    try:
        if key_file.exists():
            return key_file.read_text().strip()
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key
    except OSError as exc:
        raise ImproperlyConfigured(
            f"set DJANGO_SECRET_KEY (cannot keep one in {key_file}: {exc})"
        ) from None
