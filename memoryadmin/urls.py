from django.contrib import admin
from django.urls import include, path

from memoryadmin import console, views
from memoryadmin.api import api

urlpatterns = [
    path("", include(console)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("episodes/", include("episodes.urls")),
    path("sync/", include("sync.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
