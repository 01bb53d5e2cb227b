"""The grids' dashboard panels say what they plot; the map draws township outlines, classes from the data and
"too few to rate" on a small denominator; a panel's download carries its provenance (issues 23 and 26)."""

import io

from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from grids.maps import TOO_FEW
from tests.grids.conftest import advance
from villages.models import TallyRun
from villages.snapshots import tally_county

COUNTY = "411103000000"


def _panels(response):
    return {p["id"]: p for p in response.context["panels"]}


def test_charts_name_their_axes_and_legends(client, tree, grids, root):
    advance(grids.a.request, "rated", root)
    period = str(timezone.localdate().year)
    tally_county(county_code=COUNTY, period=period)
    client.force_login(tree.users.county)
    panels = _panels(client.get(reverse("villages:division", args=[COUNTY]), {"period": period}))
    chart = panels["grids-requests"]["chart"]
    assert chart["legend"] and all(s["name"] for s in chart["series"])
    assert chart["yAxis"]["name"]
    assert panels["grids-requests"]["metrics"]


def test_map_has_township_outlines_classes_and_too_few(client, tree, grids, root):
    advance(grids.a.request, "rated", root)  # 梁庄村: one request closed on time, a rate over 1 case
    period = str(timezone.localdate().year)
    tally_county(county_code=COUNTY, period=period)
    client.force_login(tree.users.county)
    url = reverse("villages:division", args=[COUNTY])
    data = client.get(url, {"period": period, "format": "json", "panel": "grids-map"}).json()
    townships = {t["properties"]["name"]: t for t in data["townships"]["features"]}
    assert set(townships) == {"裴城镇", "商桥镇"}
    ring = townships["裴城镇"]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) >= 4 and len(townships["裴城镇"]["properties"]["centre"]) == 2
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]["features"]}
    liangzhuang = by_code[tree.liangzhuang.code]
    assert liangzhuang["values"]["grids.requests_on_time"] == 1.0
    assert liangzhuang["classes"]["grids.requests_on_time"] == TOO_FEW  # 1 case: too few to rate, not 100%
    assert by_code[tree.wangzhuang.code]["classes"]["grids.requests_on_time"] is None  # no case at all
    assert data["labels"]["too_few"] and "grids.visit_coverage" in data["bins"]
    assert data["schematic"] is False


def test_panel_download_carries_its_provenance(client, tree, grids, root):
    advance(grids.a.request, "rated", root)
    period = str(timezone.localdate().year)
    tally_county(county_code=COUNTY, period=period)
    run = TallyRun.objects.filter(county__code=COUNTY, period=period).latest("finished_at")
    client.force_login(tree.users.county)
    url = reverse("villages:division", args=[COUNTY])
    for query in ({"table": "grids-requests"}, {}):
        response = client.get(url, {"period": period, "format": "xlsx", **query})
        book = load_workbook(io.BytesIO(response.content))
        assert len(book.sheetnames) == 2
        rows = list(book[book.sheetnames[1]].iter_rows(values_only=True))
        values = {r[0]: r[1] for r in rows if r and r[0]}
        assert timezone.localtime(run.finished_at).isoformat() in values.values()
        assert run.rule_version in values.values()
        metrics = {r[0]: r for r in rows if r and r[0] and "." in str(r[0])}
        assert "grids.requests_on_time" in metrics
        _key, _label, definition, _kind, numerator, denominator, _value = metrics["grids.requests_on_time"]
        assert definition and (numerator, denominator) == (1, 1)
