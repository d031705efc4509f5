from django.apps import AppConfig

from episodes.signals import episode_changed


class EpisodesConfig(AppConfig):
    name = "episodes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # receivers imports django_q's models: only once the app registry is ready.
        from episodes import receivers

        episode_changed.connect(receivers.queue_embedding, dispatch_uid="episode-embed")
