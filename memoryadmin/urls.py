from django.contrib import admin
from django.urls import path

from memoryadmin import views
from memoryadmin.api import api

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
