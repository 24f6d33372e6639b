from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("站内通知")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 (connects the receivers)
