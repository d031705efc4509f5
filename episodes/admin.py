from django.contrib import admin

from episodes.models import (
    ChangeCounter,
    Embedding,
    Episode,
    EpisodeTag,
    ExecutionStep,
    Heuristic,
    Pattern,
)


class StepInline(admin.TabularInline):
    model = ExecutionStep
    extra = 0
    fields = ("step_number", "tool", "action", "success", "latency_ms", "tokens")
    readonly_fields = fields
    show_change_link = True


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin):
    list_display = (
        "task_description",
        "task_type",
        "domain",
        "verdict",
        "reward_total",
        "step_count",
        "started_at",
        "deleted_at",
    )
    list_filter = ("namespace", "task_type", "verdict", "complexity", "domain")
    search_fields = ("task_description",)
    date_hierarchy = "started_at"
    readonly_fields = ("id", "content_hash", "steps_digest", "change_seq", "size_bytes")
    inlines = [StepInline]
    # Episodes change through the services (hashes, markers, learning); the
    # admin is for looking, so edits stay limited to what the services also allow.
    list_select_related = True


@admin.register(ExecutionStep)
class ExecutionStepAdmin(admin.ModelAdmin):
    list_display = ("episode", "step_number", "tool", "success", "latency_ms", "tokens")
    list_filter = ("success", "result_kind")
    search_fields = ("tool", "action")
    raw_id_fields = ("episode",)


@admin.register(Pattern)
class PatternAdmin(admin.ModelAdmin):
    list_display = ("kind", "description", "occurrence_count", "success_rate", "times_retrieved")
    list_filter = ("namespace", "kind", "task_type")
    search_fields = ("description",)
    filter_horizontal = ()
    raw_id_fields = ("evidence",)


@admin.register(Heuristic)
class HeuristicAdmin(admin.ModelAdmin):
    list_display = ("condition", "action", "confidence", "success_rate", "sample_size")
    search_fields = ("condition", "action")
    list_filter = ("namespace",)
    raw_id_fields = ("evidence",)


@admin.register(Embedding)
class EmbeddingAdmin(admin.ModelAdmin):
    list_display = ("owner_kind", "owner_id", "model_id", "dimension", "created_at")
    list_filter = ("namespace", "owner_kind", "model_id")
    exclude = ("vector",)


admin.site.register(
    EpisodeTag, list_display=("tag", "episode"), search_fields=("tag",), raw_id_fields=("episode",)
)
admin.site.register(ChangeCounter, list_display=("name", "value"))
