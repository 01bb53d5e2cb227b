"""Two people editing the same level: the later save is refused with a clear message, and nothing of either
is lost (optimistic versioning: UPDATE … WHERE version = the version the editor read)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from reviews import services
from reviews.choices import Stage
from reviews.grading import ScoreInput
from reviews.models import ItemScore
from tests.factories import scoped_user
from tests.reviews.conftest import fill, full_marks, level_of
from villages.choices import Role


def scores_of(level):
    return {
        s.item.number: (s.score, s.passed, s.note) for s in ItemScore.objects.filter(level=level).select_related("item")
    }


def test_the_later_save_is_refused_and_nothing_is_lost(tree, reviews):
    colleague = scoped_user("t_township2", tree.peicheng, Role.TOWNSHIP_STAFF)
    colleague.first_name = "李四"
    colleague.save()
    fill(level_of(reviews.liangzhuang, Stage.VILLAGE), tree.users.village)
    level = level_of(reviews.liangzhuang, Stage.TOWNSHIP)
    template = reviews.liangzhuang.campaign.template
    # Both open the level at version 0.
    first = full_marks(template, {1: ScoreInput(score=Decimal(30), note="第一人：年龄偏大")})
    second = full_marks(template, {1: ScoreInput(score=Decimal(20), note="第二人：学历偏低")})
    services.review_level_save_draft(
        actor=colleague, level=level_of(level.review, level.level), scores=first, expected_version=0
    )
    with pytest.raises(ValidationError) as exc:
        services.review_level_save_draft(actor=tree.users.township, level=level, scores=second, expected_version=0)
    assert exc.value.error_dict["version"][0].code == "stale"
    message = exc.value.message_dict["version"][0]
    assert "李四 saved this level" in message and "your entries are still in the form" in message
    # The first save stands whole; the second wrote nothing.
    saved = level_of(level.review, level.level)
    assert (saved.version, saved.total_score, saved.updated_by) == (1, Decimal(90), colleague)
    assert scores_of(saved)[1] == (Decimal(30), None, "第一人：年龄偏大")
    assert saved.history.count() == 2  # opened, and the one save
    # Seeing the message, the second person saves over the first on purpose, with the version now current.
    services.review_level_save_draft(actor=tree.users.township, level=saved, scores=second, expected_version=1)
    assert scores_of(level_of(level.review, level.level))[1] == (Decimal(20), None, "第二人：学历偏低")


def test_submitting_a_stale_version_is_refused(tree, reviews):
    level = level_of(reviews.liangzhuang, Stage.VILLAGE)
    template = reviews.liangzhuang.campaign.template
    services.review_level_save_draft(
        actor=tree.users.village, level=level, scores=full_marks(template), expected_version=0
    )
    with pytest.raises(ValidationError) as exc:
        services.review_level_submit(actor=tree.users.village, level=level, expected_version=0)
    assert exc.value.error_dict["version"][0].code == "stale"
    assert not level_of(level.review, level.level).is_submitted


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a database that serves concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_saves_let_exactly_one_through(tree, campaign):
    review = campaign.reviews.get(village=tree.liangzhuang)
    template = campaign.template
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    colleague = scoped_user("t_township2", tree.peicheng, Role.TOWNSHIP_STAFF)
    barrier = threading.Barrier(2)
    outcomes = {}

    def save(name, actor, score):
        try:
            level = level_of(review, Stage.TOWNSHIP)
            barrier.wait(timeout=10)
            entries = full_marks(template, {1: ScoreInput(score=Decimal(score), note=name)})
            services.review_level_save_draft(actor=actor, level=level, scores=entries, expected_version=0)
            outcomes[name] = "saved"
        except ValidationError as exc:
            outcomes[name] = exc.error_dict["version"][0].code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=("甲", tree.users.township, 30)),
        threading.Thread(target=save, args=("乙", colleague, 20)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == ["saved", "stale"]
    winner = next(name for name, result in outcomes.items() if result == "saved")
    level = level_of(review, Stage.TOWNSHIP)
    assert level.version == 1
    assert scores_of(level)[1][2] == winner
