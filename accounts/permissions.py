"""Who must sign in with a second factor."""

from django.conf import settings

from grids.permissions import user_roles
from grids.roles import REVEAL_ROLES
from residents.permissions import can_export_unmasked


def second_factor_required(user) -> bool:
    """Whoever may see full ID numbers and phones, export them, or administer the portal.

    Reveal roles anywhere, an unmasked export (residents.permissions, asked as well in case its rule
    grows apart from revealing), superusers and staff (the admin resets devices and unlocks accounts).
    Off everywhere when PORTAL_OTP_REQUIRED is false (the demo); a user with a device still uses it.
    """
    if not settings.PORTAL_OTP_REQUIRED or not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or user.is_staff
        or bool(user_roles(user) & REVEAL_ROLES)
        or can_export_unmasked(user)
    )
