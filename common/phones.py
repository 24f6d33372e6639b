"""Phone numbers: the one check of a Chinese number and the one mask, for residents, requesters and shops."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalize_phone(value: str) -> str:
    """Return a Chinese mobile or landline number as national digits (13812345678, 09318123456)."""
    raw = (value or "").strip()
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("电话号码无效：请填写11位手机号，或带区号的固定电话（如 0931-8123456）。"),
            code="phone_invalid",
        )
    if parsed.country_code != 86:
        raise ValidationError(_("请填写中国大陆的电话号码。"), code="phone_foreign")
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit())


def mask_phone(phone: str | None) -> str:
    """138****5678."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * (len(phone) - 4) + phone[-4:]
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
