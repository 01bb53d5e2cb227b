"""Reading a cell the way a clerk wrote it: full-width or half-width brackets, spaces and colons, numbers stored as
text, trailing spaces, dates in the spellings counties use, the enumerations' labels as well as their codes. What is
still refused says what was expected and shows the value read, with invisible differences made visible."""

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

_SPACES = re.compile(r"\s+")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# Excel counts days from 1899-12-30 (its 1900 leap-year bug included); a date cell read as a plain number.
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def fold(value) -> str:
    """A value as it is compared: compatibility forms folded (（ → (, ： → :, full-width digits and letters, the
    ideographic space), every space removed, letters upper-cased."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text(value))).upper()


def text(value) -> str:
    """A cell as text: blank → "", a whole number (stored as a number) without its ".0", surrounding spaces gone."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    return str(value).strip()


def visible(value) -> str:
    """The value with what the eye cannot tell apart spelled out: a full-width bracket is shown as ⟨U+FF08⟩, a
    non-breaking or ideographic space, a tab or a zero-width character likewise."""
    out = []
    for ch in text(value) if not isinstance(value, str) else value:
        if ch == " " or (ch.isascii() and ch.isprintable()):
            out.append(ch)
        elif unicodedata.category(ch) in ("Lo", "Lm") and unicodedata.normalize("NFKC", ch) == ch:
            out.append(ch)  # an ordinary Chinese character
        else:
            out.append(f"⟨U+{ord(ch):04X}⟩")
    return "".join(out)


def shown(value) -> str:
    """“value”, followed by how it reads when it holds characters that look like others."""
    raw = value if isinstance(value, str) else text(value)
    seen = visible(raw)
    if seen == raw:
        return f"“{raw}”"
    return _("“%(v)s” (read as %(seen)s)") % {"v": raw, "seen": seen}


def whole_number(value, *, low: int | None = None, high: int | None = None) -> int | None:
    """A whole number from a number cell or from text ("12", "12.0", "１２", " 12 "); None when blank."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError(_("Expected a whole number, read %(v)s.") % {"v": shown(value)})
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        folded = fold(value).replace(",", "")
        if folded.endswith(".0"):
            folded = folded[:-2]
        if not folded.isdigit():
            raise ValidationError(_("Expected a whole number, read %(v)s.") % {"v": shown(value)})
        number = int(folded)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError(
            _("Expected a whole number from %(low)s to %(high)s, read %(v)s.")
            % {"low": low if low is not None else "", "high": high if high is not None else "", "v": shown(value)}
        )
    return number


def digits(value) -> str:
    """A code made of digits (a division code, a grid code, an urban-rural code), from text or a number cell."""
    folded = fold(value)
    if folded.endswith(".0"):
        folded = folded[:-2]
    return folded


def date(value) -> datetime.date | None:
    """A date from a date cell, or written 2021-03-15, 2021/3/15, 2021.3.15, 2021年3月15日 or 20210315; None when
    blank."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
    folded = fold(value)
    match = _DATE.match(folded) or _COMPACT_DATE.match(folded)
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    message = _("Expected a date such as 2021-03-15, 2021/3/15, 2021.3.15 or 2021年3月15日, read %(v)s.")
    raise ValidationError(message % {"v": shown(value)})


class Choices:
    """An enumeration as a clerk may write it: the ledger's Chinese labels, the platform's own labels (in Chinese and
    in English) and the stored codes, compared folded. ``labels`` (label → value) gives the labels the template
    offers, in order; the first label of a value is the one exports write."""

    def __init__(self, labels: dict, choices=None, extra: dict | None = None):
        self.labels = dict(labels)
        self._by_fold: dict[str, object] = {}
        for label, value in [*self.labels.items(), *(extra or {}).items()]:
            self._by_fold.setdefault(fold(label), value)
        if choices is not None:
            for value, label in choices.choices:
                self._by_fold.setdefault(fold(value), value)
                for language in ("zh-hans", "en"):
                    with translation.override(language):
                        self._by_fold.setdefault(fold(str(label)), value)
        self._label_of: dict = {}
        for label, value in self.labels.items():
            self._label_of.setdefault(value, label)

    def __call__(self, value):
        if value is None or value == "":
            return None
        try:
            return self._by_fold[fold(value)]
        except KeyError:
            raise ValidationError(
                _("Expected one of %(allowed)s; read %(v)s.") % {"allowed": "、".join(self.labels), "v": shown(value)}
            ) from None

    def label(self, value) -> str:
        return self._label_of.get(value, "")
