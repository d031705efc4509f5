from django.urls import path

from episodes import views

app_name = "episodes"

urlpatterns = [
    path("", views.episode_list, name="episode_list"),
    path("bulk", views.episode_bulk, name="episode_bulk"),
    path("export.jsonl", views.episode_export, name="episode_export"),
    path("<uuid:episode_id>/", views.episode_detail, name="episode_detail"),
    path("patterns/", views.pattern_list, name="pattern_list"),
    path("patterns/<int:pattern_id>/", views.pattern_detail, name="pattern_detail"),
    path("heuristics/", views.heuristic_list, name="heuristic_list"),
    path("heuristics/<int:heuristic_id>/", views.heuristic_detail, name="heuristic_detail"),
    path("retrieval/", views.retrieval_playground, name="retrieval_playground"),
]
