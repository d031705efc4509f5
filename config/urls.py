from django.contrib import admin
from django.urls import include, path

from config.api import api
from console import views as console_views

urlpatterns = [
    path("", include("console.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("episodes/", include("episodes.urls")),
    path("sync/", include("sync.urls")),
    path("healthz", console_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
