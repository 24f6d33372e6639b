"""Receivers that put logins, reveals and exports into the audit store.

Reveals and exports stay recorded by `residents` (RevealRecord, ExportRecord) and `cases` (RequesterReveal,
an outside requester's phone), which may not call this app (it sits above them): each new record is
copied here when it is saved.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from cases.models import RequesterReveal
from residents.models import ExportRecord, RevealRecord

from . import services


def _address(request) -> str | None:
    # REMOTE_ADDR only: a forwarded-for header is whatever the client wrote, unless a trusted proxy
    # rewrites it (a deployment behind one sets REMOTE_ADDR from it there).
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs) -> None:
    services.login_record(user=user, address=_address(request))


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        services.logout_record(user=user, address=_address(request))


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # `credentials` has the password already replaced by stars; only the username is kept.
    services.login_failed_record(username=str(credentials.get("username", "")), address=_address(request))


@receiver(post_save, sender=RevealRecord, dispatch_uid="audit_reveal")
def _revealed(sender, instance: RevealRecord, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        services.reveal_mirror(reveal=instance)


@receiver(post_save, sender=RequesterReveal, dispatch_uid="audit_requester_reveal")
def _requester_revealed(
    sender, instance: RequesterReveal, created: bool, raw: bool = False, **kwargs
) -> None:
    if created and not raw:
        services.requester_reveal_mirror(reveal=instance)


@receiver(post_save, sender=ExportRecord, dispatch_uid="audit_export")
def _exported(sender, instance: ExportRecord, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        services.export_mirror(export=instance)
