"""A typed client generated from /api/v1/schema/ reads every statistics endpoint, and every answer converts strictly
into the generated types (no field missing or unnamed, no null the schema does not allow, enums respected)."""

import datetime
import importlib.util
import json
import sys

import pytest
from rest_framework.test import APIClient

from reviews import services
from tests.reviews.conftest import make_small_template
from tests.typed_client import SchemaMismatch, convert, generate
from villages.models import Post
from villages.snapshots import tally_county

SHOULDER, CADRES = "villages.one_shoulder", "villages.cadres_in_office"


@pytest.fixture
def client_module(tmp_path):
    schema = APIClient().get("/api/v1/schema/", {"format": "json"})
    source = generate(json.loads(schema.content), r"^/api/v1/stats/")
    path = tmp_path / "shanzhi_stats_client.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("shanzhi_stats_client", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def _transport(user):
    api = APIClient()
    api.force_authenticate(user)

    def get(path, params):
        answer = api.get(path, params)
        assert answer.status_code == 200, (path, params, answer.content[:300])
        return answer.json()

    return get


def test_the_generated_client_reads_every_statistics_endpoint(tree, client_module):
    for period in ("2026", "2026-01"):
        tally_county(county_code="411103000000", period=period)
    Post.objects.filter(pk=tree.member.pk).update(end_date=datetime.date(2024, 1, 1))
    tally_county(county_code="411103000000", period="2026-01")  # a figure moved: the feed has entries
    campaign = services.campaign_create(
        actor=tree.users.county, division=tree.yc, template=make_small_template(), name="回头看",
        start_date=datetime.date(2026, 1, 5), end_date=datetime.date(2026, 6, 30),
    )  # fmt: skip
    methods = {name for name in dir(client_module.Client) if not name.startswith("_")}
    read = set()

    def call(name, *args, **kwargs):
        read.add(name)
        return getattr(client, name)(*args, **kwargs)

    client = client_module.Client(_transport(tree.users.county))
    index = call("stats_list")
    assert {s.key for s in index} >= {SHOULDER, CADRES}
    table = call("stats_metrics_retrieve", CADRES, division="411103000000", period="2026")
    assert table.division.code == "411103000000" and isinstance(table.division.computed_at, datetime.datetime)
    assert {c.level for c in table.children} == {"township"}
    page = call(
        "stats_series_retrieve", metric=f"{SHOULDER},{CADRES}", division="411103000000", level="all",
        period="2026,2026-01", page_size=5,
    )  # fmt: skip
    assert page.next and len(page.results) == 5 and page.results[0].rule_version
    changes = call("stats_changes_retrieve", since=0, division="411103000000")
    assert changes.results and not changes.has_more
    stars = call("stats_stars_retrieve", division="411103000000", year=2026)
    assert stars.division.code == "411103000000"
    village = call("stats_stars_retrieve", village="411103103201", year=2026)
    assert village.village == "411103103201"
    watch = call("stats_watch_retrieve", division="411103000000", period="2026")
    assert watch.division == "411103000000"
    petitions = call("stats_petitions_retrieve", division="411103000000", period="2026")
    assert petitions.rates.satisfaction.denominator == 0 and petitions.rule_version
    reviews = call("stats_reviews_retrieve", division="411103000000", campaign=campaign.pk)
    assert reviews.campaign == campaign.pk and reviews.computed_at
    assert read == methods - {"transport"}, methods - read

    # The API client's token reads the same through the same types.
    api_client = client_module.Client(_transport(tree.users.api))
    assert api_client.stats_series_retrieve(metric=CADRES, division="411103103000", period="2026").results


def test_the_conversion_refuses_what_the_schema_does_not_promise(client_module):
    row = {
        "division": "411103000000", "division_name": "郾城区", "period": "2026", "metric": CADRES, "numerator": 3,
        "denominator": None, "rate": None, "computed_at": "2026-12-01T03:00:00+08:00", "rule_version": "2026.1",
    }  # fmt: skip
    assert convert(row, client_module.SeriesRow).numerator == 3
    for bad in ({**row, "numerator": None}, {**row, "extra": 1}, {**row, "rate": "0.5"}):
        with pytest.raises(SchemaMismatch):
            convert(bad, client_module.SeriesRow)
    missing = dict(row)
    del missing["rule_version"]
    with pytest.raises(SchemaMismatch):
        convert(missing, client_module.SeriesRow)
