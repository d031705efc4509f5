from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from memoryadmin.roles import ADMIN, OPERATOR
from tests.factories import make_member


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("olive", password="pw-operator-1")
    user.groups.add(Group.objects.get_or_create(name=OPERATOR)[0])
    return make_member(user)


@pytest.fixture
def admin_user(db) -> User:
    user = User.objects.create_user("ada", password="pw-admin-1")
    user.groups.add(Group.objects.get_or_create(name=ADMIN)[0])
    return user


@pytest.fixture
def operator_client(operator: User) -> Client:
    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture
def admin_client_(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client
