from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "MoveRx core (audit, API plumbing, health)"

    def ready(self):
        from core import logs  # noqa: F401 - connects the Celery signals that carry the request id
