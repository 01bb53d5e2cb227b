"""villages.bulk.upsert_changed: one statement inserts the new rows and updates only the rows that differ."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.choices import Stage
from reviews.models import ItemScore
from tests.reviews.conftest import level_of
from villages.bulk import upsert_changed

COLUMNS = ["level_id", "item_id", "score", "passed", "note"]


def test_upsert_changed_inserts_then_updates_only_what_differs(tree, reviews):
    level = level_of(reviews.liangzhuang, Stage.VILLAGE)
    items = list(level.review.campaign.template.items.order_by("number"))
    rows = [
        (level.pk, i.pk, None, True, "") if i.is_pass_fail else (level.pk, i.pk, i.max_points, None, "") for i in items
    ]
    with CaptureQueriesContext(connection) as ctx:
        assert upsert_changed(ItemScore, rows, columns=COLUMNS, unique=["level", "item"]) == len(items)
    assert len(ctx.captured_queries) == 1
    assert level.scores.count() == len(items)
    # The same rows again: nothing differs, nothing is written.
    assert upsert_changed(ItemScore, rows, columns=COLUMNS, unique=["level", "item"]) == 0
    first = items[0]
    changed = [(level.pk, first.pk, first.max_points - Decimal("0.5"), None, "扣分"), *rows[1:]]
    assert upsert_changed(ItemScore, changed, columns=COLUMNS, unique=["level", "item"]) == 1
    score = level.scores.get(item=first)
    assert (score.score, score.note) == (first.max_points - Decimal("0.5"), "扣分")
    assert upsert_changed(ItemScore, [], columns=COLUMNS, unique=["level", "item"]) == 0
