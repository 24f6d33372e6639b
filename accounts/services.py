"""Every write of signing in: sessions ended, second-factor devices enrolled, used and reset."""

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODE_COUNT = 10
PENDING_DEVICE_NAME = "pending"
DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup"


def sessions_end(*, user: AbstractBaseUser) -> int:
    """Delete every live session of the user: their next request is anonymous. Returns how many.

    Sessions do not index their user, so the live ones are read and decoded: a portal's few thousand
    staff sign in at most once per 12 hours (the absolute lifetime), and this runs only when an account
    is deactivated or its second factor reset.
    """
    user_id = str(user.pk)
    keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == user_id
    ]
    deleted, _ = Session.objects.filter(session_key__in=keys).delete()
    return deleted


@transaction.atomic
def totp_enrolment_start(*, user: AbstractBaseUser) -> TOTPDevice:
    """The user's unconfirmed authenticator (a new secret the first time); confirmed once a code matches."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=False, name=PENDING_DEVICE_NAME)
    return device


@transaction.atomic
def totp_enrolment_confirm(*, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the authenticator if the code matches; it replaces any earlier one. Returns backup codes."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.confirmed or not device.verify_token(_digits(token)):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.name = DEVICE_NAME
    device.save(update_fields=["confirmed", "name"])
    return backup_codes_issue(user=device.user)


@transaction.atomic
def backup_codes_issue(*, user: AbstractBaseUser) -> list[str]:
    """Ten new single-use backup codes; the earlier ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def second_factor_verify(*, user: AbstractBaseUser, code: str) -> Device | None:
    """The user's device that accepts this code, or None. A backup code is used up; a TOTP code too.

    Six digits are an authenticator's code, anything else a backup code: each kind is tried only on its
    own devices, so a backup code does not count as a failed (throttled) authenticator code.
    """
    code = "".join(code.split()).lower()
    model: type[TOTPDevice] | type[StaticDevice] = TOTPDevice if code.isdigit() else StaticDevice
    # Locked, so two requests with the same code cannot both use it.
    for device in model.objects.select_for_update().filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    return None


@transaction.atomic
def second_factor_reset(*, user: AbstractBaseUser) -> int:
    """Remove the user's authenticator and backup codes and end their sessions (a lost phone)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    return sessions_end(user=user)


def _digits(token: str) -> str:
    return "".join(token.split())
