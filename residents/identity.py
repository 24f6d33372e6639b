"""ID numbers (居民身份证号, GB 11643) and phone numbers: validation, derived facts and masking.

The checks themselves come from python-stdnum and phonenumbers; this module only turns their errors
into messages a desk worker can act on.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric

from common import crypto
from common.phones import mask_phone, normalize_phone  # noqa: F401 (the residents' names for them)

MALE = "male"
FEMALE = "female"


def normalize_id_number(value: str) -> str:
    """Return the ID number in canonical form (18 characters, capital X) or raise ValidationError."""
    number = ric.compact(value or "").upper()
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("身份证号应为18位：前17位是数字，最后一位是数字或X。"), code="id_format")
    try:
        birth = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise ValidationError(
            _("身份证号中的出生日期 %(date)s 不存在。")
            % {"date": f"{number[6:10]}-{number[10:12]}-{number[12:14]}"},
            code="id_birth_date",
        ) from None
    if birth > timezone.localdate():
        raise ValidationError(_("身份证号中的出生日期晚于今天。"), code="id_birth_future")
    if birth.year < 1880:
        raise ValidationError(_("身份证号中的出生年份不合理。"), code="id_birth_date")
    if number[17] != ric.calc_check_digit(number):
        raise ValidationError(_("身份证号校验位不正确（最后一位），请核对。"), code="id_checksum")
    # stdnum's own validate() also requires the region code to have existed in the birth year, which
    # rejects everyone born before their district got its code (e.g. 620102 dates from 1983): the
    # elderly the portal cares for most. Here the code only has to be a known one.
    if not any("county" in props for _part, props in numdb.get("cn/loc").info(number[:6])):
        raise ValidationError(_("身份证号前6位不是有效的行政区划代码。"), code="id_region")
    return number


def id_birth_date(number: str) -> datetime.date:
    return ric.get_birth_date(number)


def id_sex(number: str) -> str:
    """GB 11643: the 17th digit is odd for men and even for women."""
    return MALE if int(number[16]) % 2 else FEMALE


def id_number_index(number: str) -> str:
    """The ID number's blind index (keyed hash), by which it is found and held unique; canonical form."""
    return crypto.blind_index(number.upper(), "resident.id_number")


def phone_index(phone: str) -> str:
    """The phone's blind index; the phone in national digits, as normalize_phone gives it."""
    return crypto.blind_index(phone, "resident.phone")


def mask_id_number(number: str | None) -> str:
    """620102********1234: the region stays, the birth date and sequence are hidden."""
    if not number:
        return ""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
