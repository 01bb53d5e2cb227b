import datetime

import pytest
from django.core.exceptions import ValidationError

from tests.factories import valid_id_number
from villages.validators import (
    id_check_digit,
    mask_id_number,
    mask_phone,
    validate_id_number,
    validate_phone,
)


def test_check_digit_of_the_standard_example():
    # The worked example of GB 11643-1999.
    assert id_check_digit("11010519491231002") == "X"


def test_valid_id_numbers_pass():
    validate_id_number("11010519491231002X")
    validate_id_number("11010519491231002x")  # lower-case x is accepted and normalised
    validate_id_number(valid_id_number("411103", datetime.date(1975, 2, 28)))


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "id_check_digit"),  # wrong check digit
        ("11010519491331002X", "id_birth_date"),  # month 13
        ("110105194902300028", "id_birth_date"),  # 30 February
        ("11010518991231002X", "id_birth_date"),  # before 1900
        ("99010519491231002X", "id_region"),  # no province 99
        ("1101051949123100", "id_length"),
        ("11010519491231002Y", "id_format"),
        ("", "id_length"),
    ],
)
def test_bad_id_numbers_are_refused_with_a_reason(value, code):
    with pytest.raises(ValidationError) as err:
        validate_id_number(value)
    assert err.value.code == code


def test_future_birth_date_is_refused():
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)  # noqa: DTZ011
    first17 = f"411103{tomorrow:%Y%m%d}123"
    with pytest.raises(ValidationError) as err:
        validate_id_number(first17 + id_check_digit(first17))
    assert err.value.code == "id_birth_date"


@pytest.mark.parametrize("value", ["13812345678", "19912345678", "15000000000"])
def test_valid_phones(value):
    validate_phone(value)


@pytest.mark.parametrize("value", ["12812345678", "1381234567", "138123456789", "0371-1234567", "", "1381234567a"])
def test_bad_phones(value):
    with pytest.raises(ValidationError):
        validate_phone(value)


def test_masking():
    assert mask_id_number("41110319800517123X") == "411103********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("") == ""
    assert mask_phone("") == ""
