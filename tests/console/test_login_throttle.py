"""Login is throttled per account and per address (console and Django admin)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db
LIMIT = 5


@pytest.fixture(autouse=True)
def _limit(settings) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT


def _login(client: Client, path: str, username: str, password: str, **meta: str):
    return client.post(path, {"username": username, "password": password}, **meta)


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_wrong_passwords_lock_the_account_even_for_the_right_one(path: str) -> None:
    User.objects.create_superuser("ada", password="right-password-1")
    client = Client()
    for _ in range(LIMIT - 1):
        assert _login(client, path, "ada", "wrong").status_code == 200  # the form again
    locked = _login(client, path, "ada", "wrong")
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    assert b"15:00" in locked.content or b"0:15:00" in locked.content
    again = _login(client, path, "ada", "right-password-1")
    assert again.status_code == 429 and "_auth_user_id" not in client.session


def test_one_address_trying_many_accounts_is_stopped() -> None:
    for name in ("u1", "u2", "u3", "u4", "u5", "u6"):
        User.objects.create_user(name, password=f"pw-{name}-right")
    client = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [
        _login(client, "/accounts/login/", f"u{i}", "wrong").status_code for i in range(1, 6)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")  # another address, another account: fine
    assert _login(elsewhere, "/accounts/login/", "u6", "pw-u6-right").status_code == 302


def test_the_pause_ends_after_the_cool_off_and_a_success_resets_the_count() -> None:
    User.objects.create_user("olive", password="pw-olive-right")
    client = Client()
    for _ in range(LIMIT):
        _login(client, "/accounts/login/", "olive", "wrong")
    assert _login(client, "/accounts/login/", "olive", "pw-olive-right").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _login(client, "/accounts/login/", "olive", "pw-olive-right").status_code == 302
    assert not AccessAttempt.objects.filter(username="olive", failures_since_start__gt=0).exists()
