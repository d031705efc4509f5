from __future__ import annotations

from memoryadmin.apikeys.models import ApiKey


def api_key_list(*, include_revoked: bool = True) -> list[ApiKey]:
    qs = ApiKey.objects.select_related("created_by")
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return list(qs.order_by("-created_at", "-id"))
