import datetime

import pytest
from django.core.exceptions import ValidationError

from residents import identity

# 11010519491231002X is the GB 11643 standard's own example (a woman born 1949-12-31).
GOOD_ID = "11010519491231002X"


def test_normalize_id_number_accepts_the_standard_example_with_lowercase_x():
    assert identity.normalize_id_number("11010519491231002x") == GOOD_ID


def test_id_number_gives_birth_date_and_sex():
    assert identity.id_birth_date(GOOD_ID) == datetime.date(1949, 12, 31)
    assert identity.id_sex(GOOD_ID) == identity.FEMALE
    assert identity.id_sex("110105194912310038") == identity.MALE


def test_region_code_older_than_the_district_is_accepted():
    # 620102 (城关区) exists since 1983; people born before keep it on their ID.
    body = "62010219400101001"
    from stdnum.cn import ric

    number = body + ric.calc_check_digit(body + "0")
    assert identity.normalize_id_number(number) == number


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "id_checksum"),  # wrong check digit
        ("110105194902300011", "id_birth_date"),  # 30 February
        ("110105203012310011", "id_birth_future"),  # born in 2030
        ("11010519491231002", "id_format"),  # 17 characters
        ("1101051949123100AX", "id_format"),  # letters in the body
        ("", "id_format"),
    ],
)
def test_normalize_id_number_rejects_with_a_specific_reason(value, code):
    with pytest.raises(ValidationError) as exc:
        identity.normalize_id_number(value)
    assert exc.value.code == code


def test_unknown_region_code_is_rejected():
    from stdnum.cn import ric

    body = "99999919800101001"
    with pytest.raises(ValidationError) as exc:
        identity.normalize_id_number(body + ric.calc_check_digit(body + "0"))
    assert exc.value.code == "id_region"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0931-8123456", "09318123456"),
    ],
)
def test_normalize_phone_accepts_mobiles_and_landlines(value, expected):
    assert identity.normalize_phone(value) == expected


@pytest.mark.parametrize("value", ["12345", "1381234567", "23812345678", "abc", "+1 212 555 0100"])
def test_normalize_phone_rejects_bad_numbers(value):
    with pytest.raises(ValidationError):
        identity.normalize_phone(value)


def test_masks_keep_only_what_identifies_without_exposing():
    assert identity.mask_id_number("620102195001011234") == "620102********1234"
    assert identity.mask_phone("13812345678") == "138****5678"
    assert identity.mask_phone("") == ""
