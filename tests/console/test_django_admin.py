"""Every model of ours is in the Django admin, and each changelist renders."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.factories import SUCCESS, make_episode, step

pytestmark = pytest.mark.django_db
OUR_APPS = ("episodes", "sync", "memoryadmin")


def our_models() -> list:
    return [m for app in OUR_APPS for m in apps.get_app_config(app).get_models()]


def test_every_model_is_registered() -> None:
    missing = [m.__name__ for m in our_models() if not admin.site.is_registered(m)]
    assert missing == []


def test_every_changelist_renders_for_an_admin() -> None:
    make_episode(steps=[step()], outcome=SUCCESS)
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="x"))
    for model in our_models():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
