from django.apps import AppConfig

from episodes.signals import episode_changed


class SyncConfig(AppConfig):
    name = "sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # receivers imports django_q's models: only once the app registry is ready.
        from sync import receivers

        episode_changed.connect(receivers.queue_write_behind, dispatch_uid="sync-write-behind")
