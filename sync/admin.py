from django.contrib import admin

from sync.models import FailedItem, SyncRun, ValidationReport
from sync.models.validation import ValidationCheck


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "status",
        "trigger",
        "scope",
        "dry_run",
        "new_count",
        "modified_count",
        "failed_count",
        "queued_at",
        "finished_at",
    )
    list_filter = ("status", "trigger", "scope", "dry_run")
    raw_id_fields = ("resumed_from", "triggered_by")


@admin.register(FailedItem)
class FailedItemAdmin(admin.ModelAdmin):
    list_display = ("kind", "key", "error_class", "attempts", "state", "next_attempt_at")
    list_filter = ("state", "kind", "error_class")
    search_fields = ("key", "error_message")
    raw_id_fields = ("run", "retried_by", "dismissed_by")


class CheckInline(admin.TabularInline):
    model = ValidationCheck
    extra = 0


@admin.register(ValidationReport)
class ValidationReportAdmin(admin.ModelAdmin):
    list_display = ("id", "passed", "full", "sample_size", "created_at", "run")
    list_filter = ("passed", "full")
    raw_id_fields = ("run",)
    inlines = [CheckInline]


@admin.register(ValidationCheck)
class ValidationCheckAdmin(admin.ModelAdmin):
    list_display = ("report", "name", "passed")
    list_filter = ("passed", "name")
