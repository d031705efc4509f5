"""Reads of namespaces: by slug, a user's memberships."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from memoryadmin.exceptions import NotFound
from memoryadmin.namespaces.models import DEFAULT_SLUG, Namespace, NamespaceMembership
from memoryadmin.roles import is_admin


def namespace_get(*, slug: str) -> Namespace:
    try:
        return Namespace.objects.get(slug=slug)
    except Namespace.DoesNotExist:
        raise NotFound(f"namespace {slug!r} does not exist", extra={"field": "namespace"}) from None


def namespace_default() -> Namespace:
    """The namespace existing data and unbound callers act in (made by migration)."""
    return namespace_get(slug=DEFAULT_SLUG)


def namespace_list() -> QuerySet[Namespace]:
    return Namespace.objects.order_by("slug")


def namespaces_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Namespace]:
    """What a console user may see: every namespace for admins, else their memberships."""
    if is_admin(user):
        return namespace_list()
    if not user.is_authenticated or user.pk is None:
        return Namespace.objects.none()
    ids = NamespaceMembership.objects.filter(user_id=user.pk).values("namespace_id")
    return Namespace.objects.filter(pk__in=ids).order_by("slug")


# slug <-> id of namespaces seen by this process. Slugs are never renamed and a
# namespace with data cannot be deleted (PROTECT), so a hit never goes stale;
# a miss always asks the database (a namespace made a moment ago is found).
_ids: dict[str, int] = {}
_slugs: dict[int, str] = {}


def _remember(slug: str, namespace_id: int) -> None:
    _ids[slug], _slugs[namespace_id] = namespace_id, slug


def namespace_memo_clear() -> None:
    """Forget what this process remembered (tests roll namespaces back behind its back)."""
    _ids.clear()
    _slugs.clear()


def namespace_id_for(*, slug: str) -> int | None:
    """The id of the namespace called ``slug``, or None when there is none."""
    if (known := _ids.get(slug)) is not None:
        return known
    found = Namespace.objects.filter(slug=slug).values_list("pk", flat=True).first()
    if found is not None:
        _remember(slug, int(found))
    return found


def namespace_slug_of(*, namespace_id: int) -> str:
    """The slug of a namespace (every episode payload names its namespace by it)."""
    if (known := _slugs.get(namespace_id)) is not None:
        return known
    found = Namespace.objects.filter(pk=namespace_id).values_list("slug", flat=True).first()
    if found is None:
        raise NotFound(f"namespace {namespace_id} does not exist", extra={"field": "namespace"})
    _remember(found, namespace_id)
    return found


def namespace_is_member(*, user: AbstractBaseUser | AnonymousUser, namespace_id: int) -> bool:
    """May this console user see and act in the namespace (admins: always)?"""
    if is_admin(user):
        return True
    if not user.is_authenticated or user.pk is None:
        return False
    return NamespaceMembership.objects.filter(user_id=user.pk, namespace_id=namespace_id).exists()
