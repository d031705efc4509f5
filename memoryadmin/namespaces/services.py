"""Writes of namespaces: create, update settings, memberships."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from memoryadmin.audit.services import audit_record
from memoryadmin.exceptions import ApplicationError, Conflict
from memoryadmin.namespaces.models import Namespace, NamespaceMembership, slug_validator

NAME_MAX = 100
DESCRIPTION_MAX = 2000


def _checked_slug(slug: str) -> str:
    slug = slug.strip()
    try:
        slug_validator(slug)
    except ValidationError as exc:
        raise ApplicationError(
            f"namespace slug {slug[:60]!r} is invalid: {exc.messages[0]}", extra={"field": "slug"}
        ) from None
    return slug


@transaction.atomic
def namespace_create(
    *,
    slug: str,
    name: str = "",
    description: str = "",
    daily_episode_quota: int | None = None,
    storage_quota_bytes: int | None = None,
    retention_days: int | None = None,
    user: Any = None,
) -> Namespace:
    """Create a namespace; a taken slug is a 409."""
    slug = _checked_slug(slug)
    if len(name) > NAME_MAX or len(description) > DESCRIPTION_MAX:
        field = "name" if len(name) > NAME_MAX else "description"
        raise ApplicationError(f"{field} is too long", extra={"field": field})
    namespace = Namespace(
        slug=slug,
        name=name.strip() or slug,
        description=description,
        daily_episode_quota=daily_episode_quota,
        storage_quota_bytes=storage_quota_bytes,
        retention_days=retention_days,
    )
    try:
        with transaction.atomic():
            namespace.save()
    except IntegrityError:
        raise Conflict(f"namespace {slug!r} already exists", extra={"field": "slug"}) from None
    audit_record(
        action="namespace.create", target=slug, user=user, details={"name": namespace.name}
    )
    return namespace


@transaction.atomic
def namespace_member_add(*, namespace: Namespace, member: Any, user: Any = None) -> bool:
    """Let ``member`` (a console user) see and act in ``namespace``; False if already one."""
    _, created = NamespaceMembership.objects.get_or_create(namespace=namespace, user=member)
    if created:
        audit_record(
            action="namespace.member_add",
            target=namespace.slug,
            user=user,
            details={"member": member.get_username()},
            namespace_id=namespace.pk,
        )
    return created
