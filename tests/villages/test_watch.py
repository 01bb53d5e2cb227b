"""The watch list on crafted snapshots: signals only on evidence, ranked by sources, the county's thresholds with a
preview that counts what saving lists, the page (filters, paging, .xlsx) and its scope."""

import io
from types import SimpleNamespace

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from tests.factories import CadreFactory, division
from villages.choices import DivisionKind, Level
from villages.models import Snapshot, TallyRun, WatchRules
from villages.watch import MIN_SPREAD, quantile, watch_list

PERIOD, BEFORE = "2026", "2025"


@pytest.fixture
def county(tree):
    """郾城区 with 12 villages of 500 households each (裴城镇: 梁庄村, 王庄村 and ten more; 商桥镇: 郭栗庄村), and a
    writer of snapshot rows as the apps' tallies would write them (the watch list reads only snapshots)."""
    run = TallyRun.objects.create(county=tree.yc, period=PERIOD, rule_version="t")
    extra = [
        division(f"4111031032{i:02d}", f"测试{i}村", Level.VILLAGE, DivisionKind.VILLAGE, tree.peicheng)
        for i in range(3, 13)
    ]
    villages = [tree.liangzhuang, tree.wangzhuang, tree.guolizhuang, *extra]

    def put(village, metric, n, d=None, period=PERIOD):
        Snapshot.objects.update_or_create(
            division=village, period=period, metric=metric,
            defaults={"division_code": village.code, "numerator": n, "denominator": d, "run": run},
        )  # fmt: skip

    for v in villages:
        put(v, "villages.households", 500)
        put(v, "petitions.received", 1)
    return SimpleNamespace(tree=tree, villages=villages, extra=extra, put=put)


def names(entries):
    return [e["name"] for e in entries]


def test_quantile_interpolates_as_a_spreadsheet():
    assert quantile([1, 2, 3, 4, 5], 0.75) == 4
    assert quantile([0, 0, 0, 10], 0.75) == 2.5


def test_no_rise_against_an_empty_or_near_empty_period_before(county):
    t = county.tree
    county.put(t.liangzhuang, "petitions.received", 7)  # 0 → 7: no period before to rise from
    county.put(t.wangzhuang, "petitions.received", 7)
    county.put(t.wangzhuang, "petitions.received", 2, period=BEFORE)  # 2 → 7: below the baseline of 5
    county.put(t.guolizhuang, "petitions.received", 9)
    county.put(t.guolizhuang, "petitions.received", 6, period=BEFORE)  # 6 → 9: +50% on a real baseline
    rules = WatchRules(min_sources=1)
    fired = {e["code"]: [s["key"] for s in e["signals"]] for e in watch_list(division=t.yc, period=PERIOD, rules=rules)}
    assert "petitions_rising" not in fired.get(t.liangzhuang.code, [])
    assert "petitions_rising" not in fired.get(t.wangzhuang.code, [])
    assert "petitions_rising" in fired[t.guolizhuang.code]
    rise = next(s for e in watch_list(division=t.yc, period=PERIOD, rules=rules) for s in e["signals"]
                if s["key"] == "petitions_rising")  # fmt: skip
    assert rise["figures"] == "6 → 9" and "5" in rise["threshold"]


def test_no_count_signal_without_a_county_spread(tree):
    """Three villages with households are no baseline: however many petitions one has, nothing fires."""
    run = TallyRun.objects.create(county=tree.yc, period=PERIOD, rule_version="t")
    for v, n in ((tree.liangzhuang, 40), (tree.wangzhuang, 0), (tree.guolizhuang, 0)):
        for metric, value in (("villages.households", 300), ("petitions.received", n), ("petitions.overdue", n)):
            Snapshot.objects.create(division=v, division_code=v.code, period=PERIOD, metric=metric, numerator=value,
                                    run=run)  # fmt: skip
    assert MIN_SPREAD > 3
    assert watch_list(division=tree.yc, period=PERIOD, rules=WatchRules(min_sources=1)) == []


def test_counts_fire_above_the_county_quartile_per_households_and_from_min_cases(county):
    t = county.tree
    county.put(t.liangzhuang, "petitions.received", 12)  # 24 per 1,000: far above the others' 2
    county.put(t.wangzhuang, "petitions.received", 2)  # 4 per 1,000, above the county's P75 (3.0), but 2 cases
    small = county.extra[0]
    county.put(small, "villages.households", 20)
    county.put(small, "petitions.received", 2)  # 100 per 1,000 but only 2 cases: below the minimum of 3
    entries = watch_list(division=t.yc, period=PERIOD, rules=WatchRules(min_sources=1))
    assert names(entries) == ["梁庄村"]
    signal = entries[0]["signals"][0]
    assert signal["key"] == "petitions_many" and "12" in signal["figures"] and "24" in signal["figures"]
    assert "75" in signal["threshold"] and "3" in signal["threshold"]
    assert signal["url"].startswith(reverse("petitions:list", args=[t.liangzhuang.code]))


def test_rates_need_enough_cases(county):
    t = county.tree
    for i, v in enumerate(county.villages):
        county.put(v, "grids.visit_coverage", 95 + i % 5, 100)  # 95%–99% on 100 households
    county.put(t.liangzhuang, "grids.visit_coverage", 40, 100)  # 40% on 100: a signal
    county.put(t.wangzhuang, "grids.visit_coverage", 1, 5)  # 20% on 5: too few to rate
    entries = watch_list(division=t.yc, period=PERIOD, rules=WatchRules(min_sources=1))
    assert names(entries) == ["梁庄村"]
    assert entries[0]["signals"][0]["figures"] == "40.0% (40/100)"


def test_listed_only_on_two_sources_ranked_by_sources_then_weight(county):
    t = county.tree
    a, b, c = county.extra[:3]
    county.put(t.liangzhuang, "reviews.team_average_or_poor", 1)  # one source only: not listed by default
    for v in (a, b, c):
        county.put(v, "reviews.team_average_or_poor", 1)
    county.put(a, "petitions.received", 20)  # reviews + petitions
    county.put(b, "grids.requests_overdue", 9)  # reviews + grids
    county.put(b, "petitions.overdue", 9)  # … + petitions: three sources
    county.put(c, "petitions.level_skipping", 9)  # reviews + petitions, heavier than a's
    entries = watch_list(division=t.yc, period=PERIOD)
    assert names(entries) == [b.name, c.name, a.name]
    assert entries[0]["sources"] == ["grids", "petitions", "reviews"]
    assert entries[1]["weight"] > entries[2]["weight"]
    assert t.liangzhuang.code not in {e["code"] for e in entries}
    assert len(watch_list(division=t.yc, period=PERIOD, rules=WatchRules(min_sources=1))) == 4


@pytest.fixture
def listed(county):
    t = county.tree
    for i, v in enumerate(county.extra):
        county.put(v, "reviews.team_average_or_poor", 1)
        county.put(v, "petitions.overdue", 3 + i if i < 4 else 0)
    county.put(t.guolizhuang, "reviews.team_average_or_poor", 1)
    county.put(t.guolizhuang, "grids.requests_overdue", 9)
    return county


def test_the_preview_counts_exactly_what_saving_lists(listed, client):
    t = listed.tree
    client.force_login(t.users.county)
    url = reverse("villages:watch_settings", args=[t.yc.code]) + f"?period={PERIOD}"
    values = {"min_sources": 1, "min_cases": 5, "quantile": 60, "min_denominator": 10, "rate_floor": 80,
              "trend_baseline": 5, "trend_rise": 50}  # fmt: skip
    response = client.post(url, {**values, "preview": "1"})
    preview = response.context["preview"]
    assert response.status_code == 200 and not WatchRules.objects.exists()  # nothing saved by a preview
    assert preview != response.context["current"]
    response = client.post(url, {**values, "save": "1"})
    assert response.status_code == 302
    saved = WatchRules.objects.get(county=t.yc)
    assert saved.min_cases == 5 and saved.updated_by == t.users.county
    assert len(watch_list(division=t.yc, period=PERIOD)) == preview
    page = client.get(reverse("villages:watch", args=[t.yc.code]), {"period": PERIOD})
    assert page.context["total"] == preview


def test_thresholds_are_validated_and_the_county_officials(listed, client):
    t = listed.tree
    client.force_login(t.users.county)
    url = reverse("villages:watch_settings", args=[t.yc.code])
    response = client.post(url, {"min_sources": 4, "min_cases": 0, "quantile": 30, "min_denominator": 10,
                                 "rate_floor": 80, "trend_baseline": 5, "trend_rise": 50, "save": "1"})  # fmt: skip
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"min_sources", "min_cases", "quantile"}
    assert not WatchRules.objects.exists()
    client.force_login(t.users.township)  # below the county: the county's settings are out of scope
    assert client.get(url).status_code == 404
    client.force_login(t.users.api)  # in scope, not a county official
    assert client.get(url).status_code == 403


def test_the_page_filters_pages_and_downloads(listed, client, django_assert_max_num_queries):
    t = listed.tree
    client.force_login(t.users.county)
    url = reverse("villages:watch", args=[t.yc.code])
    with django_assert_max_num_queries(12):
        response = client.get(url, {"period": PERIOD})
    # 测试4村–测试6村: 4–6 overdue petitions (8–12 per 1,000 households, above the county's P75 of 6.5; 测试3村's 6
    # is not), with their team's grade; 郭栗庄村: overdue requests and its grade.
    assert response.status_code == 200 and response.context["total"] == 4
    rows = response.context["page"].object_list
    assert [e["name"] for e in rows] == ["测试4村", "测试5村", "测试6村", "郭栗庄村"]  # heavier signals first
    body = response.content.decode()
    assert "75" in body and reverse("petitions:list", args=["411103103206"]) in body
    only = client.get(url, {"period": PERIOD, "source": "grids"}).context["page"].object_list
    assert [e["name"] for e in only] == ["郭栗庄村"]
    only = client.get(url, {"period": PERIOD, "township": t.shangqiao.code}).context["page"].object_list
    assert [e["name"] for e in only] == ["郭栗庄村"]
    only = client.get(url, {"period": PERIOD, "signal": "petitions_overdue"}).context["page"].object_list
    assert len(only) == 3
    sheet = load_workbook(io.BytesIO(client.get(url, {"period": PERIOD, "format": "xlsx"}).content)).active
    table = list(sheet.values)
    assert table[0][:3] == ("排名", "区划代码", "村(社区)") or table[0][:2] == ("排名", "区划代码")
    assert len(table) == 1 + 4 * 2  # every signal a row
    assert {r[2] for r in table[1:]} == {e["name"] for e in watch_list(division=t.yc, period=PERIOD)}


def test_the_page_is_scoped(listed, client):
    t = listed.tree
    client.force_login(t.users.petition)  # 望江县's
    assert client.get(reverse("villages:watch", args=[t.yc.code])).status_code == 404
    assert client.get(reverse("villages:watch_settings", args=[t.yc.code])).status_code == 404
    client.force_login(t.users.township)  # 裴城镇: its villages only, against the county's spread
    response = client.get(reverse("villages:watch", args=[t.peicheng.code]), {"period": PERIOD})
    assert response.status_code == 200
    assert "郭栗庄村" not in [e["name"] for e in response.context["page"].object_list]
    assert client.get(reverse("villages:watch", args=[t.yc.code])).status_code == 404
    assert client.get(reverse("villages:watch", args=[t.liangzhuang.code])).status_code == 404  # not a unit


def test_the_api_serves_the_same_list_in_scope(listed):
    api = APIClient()
    api.force_authenticate(listed.tree.users.township)
    body = api.get(reverse("stats-watch"), {"division": "411103103000", "period": PERIOD}).json()
    assert [v["name"] for v in body["villages"]] == [
        e["name"] for e in watch_list(division=listed.tree.peicheng, period=PERIOD)
    ]
    assert body["villages"][0]["signals"][0]["threshold"]
    assert api.get(reverse("stats-watch"), {"division": "411103000000"}).status_code == 404


def test_the_adjustments_page_totals_filters_downloads_and_is_scoped(tree, client, django_assert_max_num_queries):
    import datetime

    from villages.choices import AdjustmentKind
    from villages.services import cadre_adjust

    cadre_adjust(actor=tree.users.county, post=tree.secretary, kind=AdjustmentKind.REMOVAL,
                 date=datetime.date(2022, 3, 1), reason="两次民主评议不称职")  # fmt: skip
    newcomer = CadreFactory(division=tree.guolizhuang, name="郭新")
    cadre_adjust(actor=tree.users.county, post=tree.other, kind=AdjustmentKind.REPLACEMENT,
                 date=datetime.date(2022, 5, 1), reason="约谈后仍未整改", incoming=newcomer)  # fmt: skip
    client.force_login(tree.users.county)
    url = reverse("villages:adjustments", args=[tree.yc.code])
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.status_code == 200 and response.context["total"] == 2 and response.context["secretaries"] == 2
    assert {str(k): n for k, n in response.context["totals"]}[str(AdjustmentKind.REMOVAL.label)] == 1
    assert "两次民主评议不称职" in response.content.decode()
    only = client.get(url, {"kind": AdjustmentKind.REPLACEMENT})
    assert [a.reason for a in only.context["adjustments"]] == ["约谈后仍未整改"]
    only = client.get(url, {"township": tree.peicheng.code})
    assert [a.division.name for a in only.context["adjustments"]] == ["梁庄村"]
    assert client.get(url, {"q": "民主评议"}).context["total"] == 1
    sheet = load_workbook(io.BytesIO(client.get(url, {"format": "xlsx"}).content)).active
    assert len(list(sheet.values)) == 3
    client.force_login(tree.users.petition)  # 望江县's
    assert client.get(url).status_code == 404
    client.force_login(tree.users.township)
    assert client.get(reverse("villages:adjustments", args=[tree.peicheng.code])).context["total"] == 1


def test_the_county_dashboard_shows_the_final_grades_split(tree):
    from reviews.dashboard import _grades_panel
    from reviews.tallies import grade_metric_key

    run = TallyRun.objects.create(county=tree.yc, period="C1", rule_version="t")
    found = {}
    for grade, n in (("good", 36), ("fairly_good", 92), ("average", 49), ("poor", 6)):
        key = grade_metric_key("final", grade)
        found[(tree.yc.code, key, "C1")] = Snapshot(division=tree.yc, division_code=tree.yc.code, period="C1",
                                                    metric=key, numerator=n, denominator=183, run=run)  # fmt: skip
    panel = _grades_panel(tree.yc, SimpleNamespace(key="C1", label="2021"), found)
    assert [value.split(" ")[0] for _label, value, _url in panel["items"]] == ["36", "92", "49", "6"]
    assert panel["items"][0][1] == "36 / 183 (19.7%)"
