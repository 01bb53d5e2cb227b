"""Grids on the dashboard: the service-request panel reads the snapshots, the map draws each village as its
grids with the village's figures (and only what the user may see), the portrait lists the village's grids."""

from django.urls import reverse
from django.utils import timezone

from grids.choices import RequestStatus
from tests.grids.conftest import advance
from villages.snapshots import tally_county


def _panels(response):
    return {p["id"]: p for p in response.context["panels"]}


def test_request_panel_and_map_read_the_village_figures(client, tree, grids, root):
    advance(grids.a.request, RequestStatus.RATED, root)  # 梁庄村: closed on time, satisfied
    period = str(timezone.localdate().year)
    tally_county(county_code=tree.yc.code, period=period)
    client.force_login(tree.users.county)
    response = client.get(reverse("villages:division", args=[tree.yc.code]), {"period": period})
    panels = _panels(response)
    rows = {row[0]: row for row in panels["grids-requests"]["table"]["rows"]}
    assert rows["裴城镇"][1:4] == [1, 1, "100.0%"]
    assert rows["商桥镇"][1:4] == [0, 0, "—"]
    features = panels["grids-map"]["map"]["data"]["features"]["features"]
    by_code = {f["properties"]["code"]: f for f in features}
    # 梁庄村 is drawn as its two grids; 江边村 (望江县) is not on 郾城区's map.
    assert set(by_code) == {tree.liangzhuang.code, tree.wangzhuang.code, tree.guolizhuang.code}
    liangzhuang = by_code[tree.liangzhuang.code]
    assert liangzhuang["geometry"]["type"] == "MultiPolygon" and len(liangzhuang["geometry"]["coordinates"]) == 2
    assert liangzhuang["properties"]["values"]["grids.requests_on_time"] == 1.0
    assert liangzhuang["properties"]["values"]["grids.visit_coverage"] == 0.5
    assert by_code[tree.wangzhuang.code]["properties"]["values"]["grids.requests_on_time"] is None
    keys = [f["key"] for f in panels["grids-map"]["map"]["figures"]]
    assert "grids.visit_coverage" in keys and "petitions.received" in keys
    page = response.content.decode()
    # The page fetches the map's features from the same view (format=json), which answers the panel's data.
    assert 'data-map-url="?period=' in page and "js/dashboard_map.js" in page
    url = reverse("villages:division", args=[tree.yc.code])
    fetched = client.get(url, {"period": period, "format": "json", "panel": "grids-map"})
    assert fetched.json() == panels["grids-map"]["map"]["data"]


def test_a_township_map_holds_only_its_villages(client, tree, grids):
    tally_county(county_code=tree.yc.code, period=str(timezone.localdate().year))
    client.force_login(tree.users.township)
    response = client.get(reverse("villages:division", args=[tree.peicheng.code]))
    features = _panels(response)["grids-map"]["map"]["data"]["features"]["features"]
    assert {f["properties"]["code"] for f in features} == {tree.liangzhuang.code, tree.wangzhuang.code}


def test_portrait_lists_the_villages_grids(client, tree, grids):
    client.force_login(tree.users.county)
    response = client.get(reverse("villages:division", args=[tree.liangzhuang.code]))
    section = next(s for s in response.context["portrait"] if s.get("id") == "portrait-grids")
    assert [row[0] for row in section["table"]["rows"]] == ["第1网格", "第2网格"]
    assert [row[2] for row in section["table"]["rows"]] == [2, 2]
    assert section["items"][1][1] == 4  # households
