import csv
import io

from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from villages.models import Snapshot
from villages.snapshots import tally_county

URL = reverse("stats-metric", args=["villages.one_shoulder"])


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_index_lists_every_metric_with_its_definition(tree):
    body = _api(tree.users.api).get(reverse("stats-index")).json()
    keys = {item["key"]: item for item in body}
    assert "villages.one_shoulder" in keys
    assert keys["villages.one_shoulder"]["definition"]
    assert keys["villages.one_shoulder"]["url"].endswith("/api/v1/stats/metrics/villages.one_shoulder/")


def test_a_figure_equals_its_snapshot_for_the_division_and_each_child(tree):
    tally_county(county_code="411103000000", period="2026")
    body = _api(tree.users.api).get(URL, {"division": "411103000000", "period": "2026"}).json()
    own = Snapshot.objects.get(division_code="411103000000", metric="villages.one_shoulder", period="2026")
    assert (body["division"]["numerator"], body["division"]["denominator"]) == (own.numerator, own.denominator)
    assert body["division"]["rate"] == round(1 / 3, 4)
    assert [c["code"] for c in body["children"]] == ["411103102000", "411103103000"]
    assert body["children"][1]["name"] == "裴城镇" and body["children"][1]["numerator"] == 1
    assert body["definition"] and body["snapshot"]


def test_out_of_scope_division_is_404_and_bad_parameters_are_named(tree):
    tally_county(county_code="340827000000", period="2026")
    api = _api(tree.users.api)
    assert api.get(URL, {"division": "340827000000", "period": "2026"}).status_code == 404
    bad = api.get(URL, {"division": "4111", "period": "2026-13"})
    assert bad.status_code == 400 and "division" in bad.json()
    assert "period" in api.get(URL, {"division": "411103000000", "period": "26"}).json()
    assert api.get(reverse("stats-metric", args=["no.such"]), {"division": "411103000000"}).status_code == 404


def test_csv_and_xlsx_hold_the_same_table(tree):
    tally_county(county_code="411103000000", period="2026")
    api = _api(tree.users.api)
    params = {"division": "411103103000", "period": "2026"}
    body = api.get(URL, params).json()
    response = api.get(URL, {**params, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["code", "name", "level", "numerator", "denominator", "rate", "computed_at", "rule_version"]
    assert rows[1][-2:] == [body["division"]["computed_at"], body["division"]["rule_version"]]
    assert [r[0] for r in rows[1:]] == [body["division"]["code"]] + [c["code"] for c in body["children"]]
    xlsx = api.get(URL, {**params, "format": "xlsx"})
    sheet = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in sheet[1:]] == [r[0] for r in rows[1:]]
    assert sheet[1][3] == body["division"]["numerator"]


def test_repeated_reads_hit_the_cache_and_a_new_tally_shows_at_once(tree, django_assert_max_num_queries):
    tally_county(county_code="411103000000", period="2026")
    api = _api(tree.users.api)
    params = {"division": "411103000000", "period": "2026"}
    first = api.get(URL, params).json()
    # Scopes (1 query) and the division (1 query); the figures come from the cache.
    with django_assert_max_num_queries(2):
        again = api.get(URL, params).json()
    assert again == first
    tree.secretary.cadre.posts.filter(title="chair").update(end_date="2026-02-01")
    tally_county(county_code="411103000000", period="2026")
    fresh = api.get(URL, params).json()
    assert fresh["snapshot"] != first["snapshot"]
    assert fresh["division"]["numerator"] == 0


def test_anonymous_is_refused(tree):
    assert APIClient().get(URL, {"division": "411103000000"}).status_code == 401
