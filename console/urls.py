from django.urls import path

from console import admin_pages, views

app_name = "console"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("namespace", views.namespace_switch, name="namespace_switch"),
    path("keys/", admin_pages.api_keys, name="api_keys"),
    path("keys/<int:key_id>/revoke", admin_pages.api_key_revoke_view, name="api_key_revoke"),
    path("audit/", admin_pages.audit_log, name="audit_log"),
]
