from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = _("12345热线对接")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 (connects the outbox to cases.signals.case_transitioned)
