"""Create the first admin user once; print its password only when generated."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from memoryadmin.roles import ADMIN, OPERATOR


class Command(BaseCommand):
    help = "Create the first admin user (MEMORYADMIN_ADMIN_USER / _PASSWORD) if no admin exists."

    def handle(self, *args: Any, **options: Any) -> None:
        for role in (OPERATOR, ADMIN):  # the console's roles are these groups
            Group.objects.get_or_create(name=role)
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            return
        username = os.environ.get("MEMORYADMIN_ADMIN_USER", "admin")
        password = os.environ.get("MEMORYADMIN_ADMIN_PASSWORD")
        generated = not password
        password = password or secrets.token_urlsafe(12)
        users.objects.create_superuser(username=username, email="", password=password)
        if generated:
            self.stdout.write(
                self.style.WARNING(
                    f"Created admin user {username!r} with password {password!r} "
                    "(shown once; change it in the admin)."
                )
            )
        else:
            self.stdout.write(f"Created admin user {username!r} from MEMORYADMIN_ADMIN_PASSWORD.")
