"""Grades from scores: the cut-offs, the one-vote vetoes, and the per-item rules."""

from decimal import Decimal

import pytest

from reviews import grading
from reviews.choices import Grade
from reviews.grading import ScoreInput
from tests.reviews.conftest import full_marks

pytestmark = pytest.mark.django_db


def result(template, entries, conditions=()):
    items = list(template.items.select_related("element__parent_check").order_by("number"))
    return grading.level_result(template, items, entries, list(template.vetoes.all()), conditions)


@pytest.mark.parametrize(
    ("first_item", "grade"),
    [
        ("40", Grade.GOOD),  # 100
        ("30", Grade.GOOD),  # 90: the cut-off itself is Good
        ("29.5", Grade.FAIRLY_GOOD),  # 89.5
        ("20", Grade.FAIRLY_GOOD),  # 80
        ("19.5", Grade.AVERAGE),  # 79.5
        ("0", Grade.AVERAGE),  # 60
    ],
)
def test_cutoffs(small_template, first_item, grade):
    entries = full_marks(small_template) | {
        small_template.items.get(number=1).pk: ScoreInput(score=Decimal(first_item))
    }
    assert result(small_template, entries).grade == grade


def test_below_the_last_cutoff_is_poor(small_template):
    entries = full_marks(small_template)
    entries[small_template.items.get(number=1).pk] = ScoreInput(score=Decimal(0))
    entries[small_template.items.get(number=3).pk] = ScoreInput(score=Decimal("29.5"))
    outcome = result(small_template, entries)
    assert outcome.total == Decimal("59.5") and outcome.grade == Grade.POOR


def test_cutoffs_are_the_templates_data(small_template):
    small_template.good_min, small_template.fairly_good_min, small_template.average_min = 95, 85, 70
    entries = full_marks(small_template) | {small_template.items.get(number=1).pk: ScoreInput(score=Decimal(32))}
    assert result(small_template, entries).grade == Grade.FAIRLY_GOOD  # 92 is no longer Good


def test_failed_veto_item_makes_it_poor_whatever_the_score(small_template):
    item = small_template.items.get(number=2)
    entries = full_marks(small_template) | {item.pk: ScoreInput(passed=False, note="存在负面清单情形")}
    outcome = result(small_template, entries)
    assert outcome.total == 90  # the item's 10 points are lost
    assert outcome.grade == Grade.POOR
    assert outcome.vetoes == ["负面清单"]


def test_condition_veto_caps_but_never_raises(small_template):
    weak = small_template.vetoes.get(item__isnull=True)
    assert result(small_template, full_marks(small_template), [weak.pk]).grade == Grade.AVERAGE
    poor = full_marks(small_template) | {small_template.items.get(number=1).pk: ScoreInput(score=Decimal(0))}
    poor[small_template.items.get(number=3).pk] = ScoreInput(score=Decimal(0))
    assert result(small_template, poor, [weak.pk]).grade == Grade.POOR  # already below the cap


def test_a_veto_item_not_yet_scored_does_not_apply(small_template):
    entries = full_marks(small_template)
    del entries[small_template.items.get(number=2).pk]
    outcome = result(small_template, entries)
    assert outcome.scored == 4 and outcome.vetoes == []


def test_pass_fail_points_and_check_totals(small_template):
    outcome = result(small_template, full_marks(small_template))
    assert outcome.total == 100 and outcome.scored == 5
    assert outcome.check_totals == {1: Decimal(50), 2: Decimal(50)}


@pytest.mark.parametrize(
    ("entry", "complete", "expected"),
    [
        (ScoreInput(score=Decimal(41)), False, "between 0 and 40"),
        (ScoreInput(score=Decimal(-1)), False, "between 0 and 40"),
        (ScoreInput(score=Decimal("10.3")), False, "steps of 0.5"),
        (ScoreInput(passed=True), False, "in points"),
        (ScoreInput(score=Decimal(30)), False, None),  # a draft may lack the note
        (ScoreInput(score=Decimal(30)), True, "needs a note"),
        (ScoreInput(score=Decimal(30), note="台账缺失"), True, None),
        (ScoreInput(), False, None),
        (ScoreInput(), True, "Score this item"),
    ],
)
def test_item_rules(small_template, entry, complete, expected):
    item = small_template.items.get(number=1)
    errors = grading.item_errors(item, entry, complete=complete)
    if expected is None:
        assert errors == []
    else:
        assert len(errors) == 1 and expected in errors[0]


def test_pass_fail_item_takes_no_points(small_template):
    item = small_template.items.get(number=2)
    assert "passed or failed" in grading.item_errors(item, ScoreInput(score=Decimal(10)), complete=False)[0]
    assert grading.item_errors(item, ScoreInput(passed=False), complete=True)[0].startswith("A deduction")


def test_deductions_without_the_note_an_item_requires_are_warned(small_template):
    items = list(small_template.items.order_by("number"))
    entries = full_marks(small_template)
    entries[items[0].pk] = ScoreInput(score=Decimal(30))  # note required
    entries[items[2].pk] = ScoreInput(score=Decimal(20))  # note optional
    assert set(grading.note_warnings(items, entries)) == {items[0].pk}


def test_typed_numbers():
    assert grading.to_decimal(" 7.5 ") == Decimal("7.5")
    assert grading.to_decimal("") is None and grading.to_decimal(None) is None
    for bad in ("abc", "NaN", "Infinity"):
        with pytest.raises(ValueError):
            grading.to_decimal(bad)
