from __future__ import annotations

from django.db.models import Q

from memoryadmin.apikeys.models import ApiKey
from memoryadmin.db.rows import fetch_instance, select_columns


def api_keys_visible(*, namespace_id: int, all_namespaces: bool) -> Q:
    """The keys a caller may see and revoke: those acting in ``namespace_id``, plus the keys
    bound to all namespaces when the caller itself may act in all of them (an
    all-namespaces key, an admin session). Another namespace's key is "does not exist"."""
    bound = Q(namespace_id=namespace_id)
    if all_namespaces:
        bound |= Q(namespace__isnull=True)
    return bound


def api_key_list(
    *, namespace_id: int, with_all_namespace_keys: bool, include_revoked: bool = True
) -> list[ApiKey]:
    visible = api_keys_visible(namespace_id=namespace_id, all_namespaces=with_all_namespace_keys)
    qs = ApiKey.objects.select_related("created_by", "namespace").filter(visible)
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return list(qs.order_by("-created_at", "-id"))


# Read on every API request: one raw statement on the unique hash index, converted
# as the ORM converts it (see memoryadmin/db/rows.py for what this saves).
_BY_HASH = f"SELECT {select_columns(ApiKey)} FROM {ApiKey._meta.db_table} WHERE key_hash = %s"  # noqa: S608


def api_key_by_hash(*, digest: str) -> ApiKey | None:
    """The key whose SHA-256 is ``digest`` (revoked or not), or None."""
    return fetch_instance(ApiKey, _BY_HASH, [digest])
