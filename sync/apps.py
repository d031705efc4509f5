from django.apps import AppConfig

from episodes.signals import episode_changed
from sync import receivers


class SyncConfig(AppConfig):
    name = "sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        episode_changed.connect(receivers.queue_write_behind, dispatch_uid="sync-write-behind")
