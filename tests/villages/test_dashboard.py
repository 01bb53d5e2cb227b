import contextlib
import io

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import CadreFactory, PostFactory, division
from villages.choices import DivisionKind, Level
from villages.models import TallyRun
from villages.snapshots import tally_county


def _grow(tree, n):
    """n more villages with a secretary each under 裴城镇 and 商桥镇."""
    for i in range(n):
        parent = tree.peicheng if i % 2 else tree.shangqiao
        village = division(f"{parent.code[:9]}{300 + i:03d}", f"新村{i}", Level.VILLAGE, DivisionKind.VILLAGE, parent)
        PostFactory(cadre=CadreFactory(division=village))


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_dashboard_shows_the_tallied_figures_and_children(client, tree):
    tally_county(county_code="411103000000", period="2026")
    client.force_login(tree.users.county)
    response = client.get(reverse("villages:division", args=["411103000000"]), {"period": "2026"})
    board = response.context["board"]
    keys = [f["key"] for f in board["headline"]]
    assert "villages.cadres_in_office" in keys and "villages.one_shoulder" in keys
    cadres = next(f for f in board["headline"] if f["key"] == "villages.cadres_in_office")
    assert cadres["numerator"] == 4 and cadres["per_village"] == round(4 / 3, 1)
    assert [row["division"].name for row in board["children"]] == ["商桥镇", "裴城镇"]
    shoulder = next(f for f in board["children"][1]["figures"] if f and f["key"] == "villages.one_shoulder")
    assert (shoulder["numerator"], shoulder["denominator"], shoulder["display"]) == (1, 2, "50.0%")
    page = response.content.decode()
    assert "50.0%" in page and "1/2" in page


def test_dashboard_table_downloads_as_the_page_shows_it(client, tree):
    tally_county(county_code="411103000000", period="2026")
    client.force_login(tree.users.county)
    response = client.get(reverse("villages:division", args=["411103000000"]), {"period": "2026", "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["商桥镇", "裴城镇"]
    header = list(rows[0])
    column = next(i for i, h in enumerate(header) if "一肩挑" in str(h))
    assert rows[2][column] == 0.5
    run = TallyRun.objects.filter(county__code="411103000000", period="2026").latest("finished_at")
    assert header[-2:] == ["计算时间", "规则版本"]
    assert rows[1][-2:] == (timezone.localtime(run.finished_at).isoformat(), run.rule_version)


def test_dashboard_query_count_does_not_grow_with_the_county(client, tree):
    """The page as first rendered (nothing cached), at two sizes."""
    client.force_login(tree.users.county)
    url = reverse("villages:division", args=["411103000000"]) + "?period=2026"
    tally_county(county_code="411103000000", period="2026")
    cache.clear()
    small, _ = _queries(client, url)
    _grow(tree, 12)
    tally_county(county_code="411103000000", period="2026")
    cache.clear()
    large, response = _queries(client, url)
    assert response.context["village_count"] == 15
    assert small == large, (small, large)
    # The panels of the apps (stars, reviews, grids, petitions, work) add a fixed few each; a map with no drawn grid
    # reads the divisions once for its schematic; the header's 统计于 reads the county's last tally run once.
    assert large <= 38


def test_village_portrait_query_count_does_not_grow(client, tree):
    client.force_login(tree.users.county)
    url = reverse("villages:division", args=["411103103201"])
    tally_county(county_code="411103000000", period="2026")
    cache.clear()  # nothing cached: the session and the viewer's scopes are read from the database
    small, response = _queries(client, url)
    assert "portrait-over-time" in response.content.decode()
    _grow(tree, 12)
    for _ in range(5):  # a bigger committee, too
        PostFactory(cadre=CadreFactory(division=tree.liangzhuang), title="member")
    tally_county(county_code="411103000000", period="2026")
    cache.clear()  # the first render, as for the small village
    large, _ = _queries(client, url)
    assert small == large, (small, large)
    assert large <= 40  # the portrait sections of the apps add a fixed few each


@pytest.mark.django_db(transaction=True)
def test_dashboard_is_served_from_cache_until_the_county_changes(client, tree):
    """A repeat view reads only the session and its user; a committed write in the
    county (here: a new village) moves its data version, and the next view shows it; a rolled-back one does not."""
    client.force_login(tree.users.county)
    url = reverse("villages:division", args=["411103000000"]) + "?period=2026"
    tally_county(county_code="411103000000", period="2026")
    _queries(client, url)
    repeat, response = _queries(client, url)
    assert repeat <= 2, repeat  # the session and its user: the scopes and the division come from the cache
    assert response.context["village_count"] == 3
    with transaction.atomic():
        _grow(tree, 1)
    changed, response = _queries(client, url)
    assert changed > repeat
    assert response.context["village_count"] == 4
    _queries(client, url)
    with contextlib.suppress(RuntimeError), transaction.atomic():
        CadreFactory(division=tree.liangzhuang)
        raise RuntimeError("rolled back")
    again, response = _queries(client, url)
    assert again == repeat and response.context["village_count"] == 4
