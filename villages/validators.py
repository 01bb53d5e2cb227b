"""The bounds of what may be entered, in one place: national ID numbers and mainland mobile numbers (validated
and masked), dates within sane bounds by kind, and the length of free text by kind. Model fields carry them
(``validators=``, ``max_length=``), so forms, serializers, imports and the services' ``full_clean`` all apply them.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import formats, timezone
from django.utils.deconstruct import deconstructible
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


# ------------------------------------------------------------------------------------------------- dates

# The founding of the People's Republic: no village record of this platform dates from before it.
EARLIEST_EVENT = datetime.date(1949, 10, 1)
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
PLAN_YEARS = 10  # a deadline or plan may lie up to this many years ahead


@deconstructible
class DateBounds:
    """A date not before ``earliest`` and not after today plus ``future_years`` (today itself when 0): an event
    has happened (not after today), a deadline or plan lies at most ``future_years`` ahead. Today is the
    Asia/Shanghai date of the moment of checking."""

    def __init__(self, earliest: datetime.date = EARLIEST_EVENT, future_years: int = 0):
        self.earliest = earliest
        self.future_years = future_years

    def latest(self) -> datetime.date:
        today = timezone.localdate()
        if not self.future_years:
            return today
        try:
            return today.replace(year=today.year + self.future_years)
        except ValueError:  # 29 February
            return today.replace(year=today.year + self.future_years, day=28)

    def __call__(self, value) -> None:
        if not isinstance(value, datetime.date):
            return
        if value < self.earliest:
            raise ValidationError(
                _("This date cannot be before %(date)s."),
                params={"date": formats.date_format(self.earliest, "DATE_FORMAT")},
                code="date_too_early",
            )
        latest = self.latest()
        if value > latest:
            if not self.future_years:
                raise ValidationError(_("This date cannot be later than today."), code="date_in_future")
            raise ValidationError(
                _("This date cannot be later than %(date)s (%(years)d years from today)."),
                params={"date": formats.date_format(latest, "DATE_FORMAT"), "years": self.future_years},
                code="date_too_late",
            )

    def __eq__(self, other):
        return isinstance(other, DateBounds) and (self.earliest, self.future_years) == (
            other.earliest,
            other.future_years,
        )


# An event's date (received, held, done, visited…): from 1949-10-01 to today.
event_date = DateBounds()
# A deadline or a plan (due, to be put right by, expected payback…): from 1949-10-01 to ten years ahead.
planned_date = DateBounds(future_years=PLAN_YEARS)
# Any date a form takes that states no bound of its own: from 1949-10-01 to ten years ahead.
any_date = planned_date
# A person's birth date: from 1900 to today.
birth_date = DateBounds(earliest=EARLIEST_BIRTH)


# --------------------------------------------------------------------------------------------- free text

NOTE_MAX = 2_000  # a note, reason, comment or opinion
TEXT_MAX = 10_000  # a content, description, decision, summary or record


def text_max(length: int) -> list:
    """The validators of a free text field of at most ``length`` characters (with ``max_length=length``, which
    forms and serializers read; a TextField's ``max_length`` alone is not checked by ``full_clean``)."""
    return [MaxLengthValidator(length)]
