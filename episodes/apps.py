from django.apps import AppConfig

from episodes import receivers
from episodes.signals import episode_changed


class EpisodesConfig(AppConfig):
    name = "episodes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        episode_changed.connect(receivers.queue_embedding, dispatch_uid="episode-embed")
