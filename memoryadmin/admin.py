from django.contrib import admin

from memoryadmin.models import (
    ApiKey,
    AuditEvent,
    Heartbeat,
    IdempotencyRecord,
    Namespace,
    NamespaceMembership,
    RateCounter,
)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "name", "prefix", "namespace", "scopes", "created_at", "last_used_at", "revoked_at"
    )  # fmt: skip
    list_filter = ("namespace",)
    # Only the hash is stored; it is never shown or edited here.
    exclude = ("key_hash",)
    readonly_fields = ("prefix", "namespace", "created_at", "last_used_at")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        # A key made here would have no secret (and a second one an empty-hash clash, a 500):
        # keys are created by the console's Keys page, the API or `create_api_key`.
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "target")
    list_filter = ("namespace", "action")
    search_fields = ("actor_label", "target")

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False  # the record is append-only


admin.site.register(RateCounter)
admin.site.register(IdempotencyRecord)
admin.site.register(Heartbeat)


class MembershipInline(admin.TabularInline):
    model = NamespaceMembership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Namespace)
class NamespaceAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "daily_episode_quota", "storage_quota_bytes", "created_at")
    search_fields = ("slug", "name")
    inlines = (MembershipInline,)


@admin.register(NamespaceMembership)
class NamespaceMembershipAdmin(admin.ModelAdmin):
    list_display = ("namespace", "user", "created_at")
    list_filter = ("namespace",)
