from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Signing in: lockout, session lifetimes, the second factor, ending a deactivated user's sessions."""

    name = "accounts"
    verbose_name = _("账户与登录")

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the receivers)
