"""The dashboard's panels say what they plot and format numbers for their unit; the map draws township outlines,
classes from the data and "too few to rate" on small denominators, and every county (a schematic where no grid is
drawn); a panel's download carries its provenance (issue 23, issue 26)."""

import decimal

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from grids.maps import quantile_classes
from tests.factories import UserFactory
from villages.models import Snapshot
from villages.snapshots import tally_county
from villages.templatetags.figures import cell

COUNTY = "411103000000"


def _panels(response):
    return {p["id"]: p for p in response.context["panels"]}


def test_numbers_are_formatted_for_their_unit(client, tree):
    period = "2026"
    tally_county(county_code=COUNTY, period=period)
    # 679,522 yuan over 3 villages: 226,507.33 a village, which reads 226,507 (yuan whole, with separators).
    Snapshot.objects.filter(division__code=COUNTY, metric="villages.collective_income", period=period).update(
        numerator=679_522
    )
    cache.clear()
    client.force_login(tree.users.county)
    response = client.get(reverse("villages:division", args=[COUNTY]), {"period": period})
    income = next(f for f in response.context["board"]["headline"] if f["key"] == "villages.collective_income")
    assert income["per_village_display"] == "226,507"
    page = response.content.decode()
    assert "679,522" in page and "226,507" in page and "226,507.3" not in page
    # A panel's table cell: counts with separators, ratios with one decimal, text as it is.
    assert [cell(12345), cell(3.256), cell(decimal.Decimal("1200.00")), cell("72.0%"), cell(None)] == [
        "12,345",
        "3.3",
        "1,200",
        "72.0%",
        "—",
    ]


def test_quantile_classes_state_their_ranges():
    cuts, labels = quantile_classes([0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0], "rate")
    assert cuts == sorted(set(cuts)) and len(cuts) <= 5
    assert labels[0].startswith("50.0%–60.0%") and labels[-1].startswith("100.0%")
    assert quantile_classes([], "rate") == ([], [])


def test_a_county_without_drawn_grids_is_drawn_as_a_schematic(client, tree):
    period = str(timezone.localdate().year)
    client.force_login(UserFactory(username="p_root", is_superuser=True))
    url = reverse("villages:division", args=[tree.wj.code])
    data = client.get(url, {"period": period, "format": "json", "panel": "grids-map"}).json()
    assert data["schematic"] is True
    assert [f["properties"]["name"] for f in data["features"]["features"]] == ["江边村"]
    assert [t["properties"]["name"] for t in data["townships"]["features"]] == ["华阳镇"]
