import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from villages.models import Snapshot, TallyRun
from villages.watch import watch_list


@pytest.fixture
def signals(tree):
    """Snapshot rows as the apps' tallies would write them (the watch list only reads snapshots)."""
    run = TallyRun.objects.create(county=tree.yc, period="2026", rule_version="t")

    def put(village, metric, n, period="2026"):
        Snapshot.objects.create(division=village, division_code=village.code, period=period, metric=metric,
                                numerator=n, denominator=None, run=run)  # fmt: skip

    put(tree.liangzhuang, "reviews.team_average_or_poor", 1)
    put(tree.liangzhuang, "petitions.received", 5)
    put(tree.liangzhuang, "petitions.received", 2, period="2025")
    put(tree.wangzhuang, "petitions.received", 4)
    put(tree.wangzhuang, "petitions.received", 6, period="2025")  # falling: not a signal
    put(tree.guolizhuang, "grids.requests_overdue", 2)  # below its minimum of 3
    put(tree.guolizhuang, "petitions.overdue", 1)
    return tree


def test_villages_with_most_signals_come_first_with_their_facts(signals):
    entries = watch_list(division=signals.yc, period="2026")
    assert [e["name"] for e in entries] == ["梁庄村", "郭栗庄村"]
    facts = [f["text"] for f in entries[0]["facts"]]
    assert "信访件数上升: 2 → 5件" in facts and "回头看班子评价为一般或差: 1次" in facts
    assert entries[0]["township"] == "裴城镇" and entries[0]["url"].endswith("/411103103201/")


def test_the_watch_list_is_scoped_and_one_query(signals, django_assert_max_num_queries):
    api = APIClient()
    api.force_authenticate(signals.users.township)
    with django_assert_max_num_queries(4):
        body = api.get(reverse("stats-watch"), {"division": "411103103000", "period": "2026"}).json()
    assert [v["name"] for v in body["villages"]] == ["梁庄村"]
    assert api.get(reverse("stats-watch"), {"division": "411103000000"}).status_code == 404
