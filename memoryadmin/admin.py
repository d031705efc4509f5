from django.contrib import admin

from memoryadmin.models import ApiKey, AuditEvent, Heartbeat, IdempotencyRecord, RateCounter


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    # Only the hash is stored; it is never shown or edited here.
    exclude = ("key_hash",)
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        # A key made here would have no secret (and a second one an empty-hash clash, a 500):
        # keys are created by the console's Keys page, the API or `create_api_key`.
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "target")
    list_filter = ("action",)
    search_fields = ("actor_label", "target")

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False  # the record is append-only


admin.site.register(RateCounter)
admin.site.register(IdempotencyRecord)
admin.site.register(Heartbeat)
