"""Personal data: national ID numbers and mainland mobile numbers, validated and masked."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# First digits of the 34 province-level region codes (GB/T 2260).
_ID_PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
}  # fmt: skip


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def validate_id_number(value: str) -> None:
    value = normalize_id_number(value)
    if len(value) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(n)d."),
            params={"n": len(value)},
            code="id_length",
        )
    if not _ID_RE.match(value):
        raise ValidationError(_("An ID number is 17 digits followed by a digit or X."), code="id_format")
    if value[:2] not in _ID_PROVINCES:
        raise ValidationError(
            _("The ID number's region code %(code)s is not a known region."),
            params={"code": value[:6]},
            code="id_region",
        )
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(
            _("The ID number's birth date %(date)s is not a real date."),
            params={"date": value[6:14]},
            code="id_birth_date",
        ) from None
    if birth.year < 1900 or birth > datetime.date.today():  # noqa: DTZ011 - a calendar date, no time zone
        raise ValidationError(
            _("The ID number's birth date %(date)s is out of range."),
            params={"date": value[6:14]},
            code="id_birth_date",
        )
    if id_check_digit(value[:17]) != value[17]:
        raise ValidationError(
            _("The ID number's check digit is wrong; please check the number."), code="id_check_digit"
        )


def birth_date_from_id(value: str) -> datetime.date:
    value = normalize_id_number(value)
    return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def validate_phone(value: str) -> None:
    if not _PHONE_RE.match((value or "").strip()):
        raise ValidationError(_("A mobile number has 11 digits and starts with 13–19."), code="phone")


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_birth_date(value) -> str:
    """The birth year only: with the masked ID number beside it, the full date would give back the eight digits the
    mask hides. ``value``: a date, an ISO date string or empty."""
    if not value:
        return ""
    return str(value)[:4]


def mask_phone(value: str) -> str:
    if not value:
        return ""
    return value[:3] + "****" + value[-4:] if len(value) == 11 else "*" * len(value)
