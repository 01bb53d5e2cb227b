"""Scoring rules, totals and grades: pure functions over a template's items, shared by the services, the demo
and (mirrored in static/reviews/js/scorecard.js) the scorecard form's running totals."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from villages.validators import NOTE_MAX

from .choices import Grade, worse_grade

STEP = Decimal("0.5")


@dataclass(frozen=True)
class ScoreInput:
    """What a reviewer entered for one item: points, or passed/failed, and a note."""

    score: Decimal | None = None
    passed: bool | None = None
    note: str = ""

    @property
    def is_blank(self) -> bool:
        return self.score is None and self.passed is None


@dataclass
class LevelResult:
    total: Decimal = Decimal(0)
    scored: int = 0
    grade: str = Grade.POOR
    vetoes: list[str] = field(default_factory=list)
    check_totals: dict[int, Decimal] = field(default_factory=dict)


def to_decimal(value) -> Decimal | None:
    """A score typed into a form or sent by a client, or None when blank. Raises ValueError when not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def points(item, entry: ScoreInput | None) -> Decimal | None:
    """What the item adds to the total; None when it has not been scored."""
    if entry is None or entry.is_blank:
        return None
    if item.is_pass_fail:
        return item.max_points if entry.passed else Decimal(0)
    return entry.score


def is_deduction(item, entry: ScoreInput | None) -> bool:
    earned = points(item, entry)
    return earned is not None and earned < item.max_points


def item_errors(item, entry: ScoreInput | None, *, complete: bool) -> list[str]:
    """Why the entry cannot stand. ``complete`` adds what a submitted level needs (a score, the required note)."""
    errors = []
    if entry is None or entry.is_blank:
        return [_("Score this item.")] if complete else []
    if item.is_pass_fail:
        if entry.score is not None:
            errors.append(_("This item is passed or failed, not scored in points."))
    else:
        if entry.passed is not None:
            errors.append(_("This item is scored in points, not passed or failed."))
        elif entry.score < 0 or entry.score > item.max_points:
            errors.append(_("Give between 0 and %(max)s points.") % {"max": format_points(item.max_points)})
        elif entry.score % STEP:
            errors.append(_("Score in steps of 0.5 points."))
    if entry.note and len(entry.note) > NOTE_MAX:  # scores are upserted: no model validation sees the note
        errors.append(
            _("Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).")
            % {"limit_value": NOTE_MAX, "show_value": len(entry.note)}
        )
    if not errors and complete and item.note_required and is_deduction(item, entry) and not entry.note.strip():
        errors.append(_("A deduction needs a note saying what was found."))
    return errors


def note_warnings(items: Iterable, scores: Mapping[int, ScoreInput]) -> dict[int, str]:
    """Deductions still missing their note: allowed in a draft, refused on submission."""
    message = _("Add a note before submitting: a deduction needs one.")
    return {
        item.pk: message
        for item in items
        if item.note_required and is_deduction(item, scores.get(item.pk)) and not scores[item.pk].note.strip()
    }


def level_result(
    template, items: Iterable, scores: Mapping[int, ScoreInput], vetoes: Iterable, conditions
) -> LevelResult:
    """Total, items scored, per-check totals, and the grade: from the cut-offs, then capped by every veto that
    applies (an item with a veto that earns nothing, or a named condition the reviewer found)."""
    result = LevelResult()
    zero_items = set()
    for item in items:
        earned = points(item, scores.get(item.pk))
        if earned is None:
            continue
        result.total += earned
        result.scored += 1
        check_number = item.element.parent_check.number
        result.check_totals[check_number] = result.check_totals.get(check_number, Decimal(0)) + earned
        if earned == 0:
            zero_items.add(item.pk)
    result.grade = template.grade_for(result.total)
    condition_ids = {getattr(c, "pk", c) for c in conditions}
    for veto in vetoes:
        applies = veto.item_id in zero_items if veto.item_id else veto.pk in condition_ids
        if applies:
            result.grade = worse_grade(result.grade, veto.grade)
            result.vetoes.append(veto.name)
    return result


def format_points(value: Decimal) -> str:
    """10.0 → "10", 2.5 → "2.5"."""
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)
