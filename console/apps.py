from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The roof's pages and ops endpoints that compose several apps (no models)."""

    name = "console"
    default_auto_field = "django.db.models.BigAutoField"
