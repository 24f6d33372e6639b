from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"

    def ready(self) -> None:
        from . import lookups  # noqa: F401 - registers `__any` on every field
