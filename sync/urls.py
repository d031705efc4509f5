from django.urls import path

from sync import views

app_name = "sync"

urlpatterns = [
    path("", views.sync_dashboard, name="sync_dashboard"),
    path("run", views.sync_now, name="sync_now"),
    path("verify", views.verify_now, name="verify_now"),
    path("rebuild", views.rebuild_now, name="rebuild_now"),
    path("runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<int:run_id>/progress", views.run_progress, name="run_progress"),
    path("validation/", views.validation_list, name="validation_list"),
    path("validation/<int:report_id>/", views.validation_detail, name="validation_detail"),
    path("failed/", views.retry_queue, name="retry_queue"),
    path("failed/action", views.retry_queue_action, name="retry_queue_action"),
]
