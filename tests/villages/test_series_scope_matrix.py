"""The series and the change feed × every role × a division inside and outside the user's scope.

Every role may read the statistics of its own divisions. Out of scope answers exactly like an unknown code: 404
for ``division``, the same field error for ``codes``. A new URL without an entry fails
tests/test_permission_matrix.py.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from villages.snapshots import tally_county

# Which division each user reads inside its scope, and one outside.
PLACES = {
    "county": ("411103000000", "340827000000"),
    "township": ("411103103000", "411103102000"),
    "village": ("411103103201", "411103103202"),
    "grid": ("411103103201", "411103103202"),
    "petition": ("340827000000", "411103000000"),
    "api": ("411103103000", "340827100201"),
}
# name → the parameters besides the division (given as ``division`` or as ``codes``)
SERIES_ENDPOINTS = {
    "stats-series": {"metric": "villages.cadres_in_office", "period": "2026"},
    "stats-changes": {"since": "0"},
}


@pytest.fixture
def tallied(tree):
    tally_county(county_code="411103000000", period="2026")
    tally_county(county_code="340827000000", period="2026")
    return tree


@pytest.mark.parametrize("role", sorted(PLACES))
@pytest.mark.parametrize("name", sorted(SERIES_ENDPOINTS))
def test_in_scope_reads_and_out_of_scope_is_unknown(tallied, role, name):
    api = APIClient()
    api.force_authenticate(getattr(tallied.users, role))
    inside, outside = PLACES[role]
    url, params = reverse(name), SERIES_ENDPOINTS[name]
    ok = api.get(url, {**params, "division": inside})
    assert ok.status_code == 200
    assert ok.json()["results"] and all(r["division"].startswith(inside.rstrip("0")[:6]) for r in ok.json()["results"])
    unknown_code = inside[:6] + "999" + inside[9:]
    out, unknown = api.get(url, {**params, "division": outside}), api.get(url, {**params, "division": unknown_code})
    assert out.status_code == unknown.status_code == 404 and out.json() == unknown.json()
    if name == "stats-series":
        out = api.get(url, {**params, "codes": outside}).json()
        unknown = api.get(url, {**params, "codes": unknown_code}).json()
        assert out["codes"][0].replace(outside, "?") == unknown["codes"][0].replace(unknown_code, "?")
    else:
        # Without a division the feed holds only rows in the user's scope.
        everything = api.get(url, {**params, "limit": 5000}).json()["results"]
        assert everything and not [r for r in everything if r["division"].startswith(outside.rstrip("0"))]


def test_anonymous_is_refused():
    for name in SERIES_ENDPOINTS:
        assert APIClient().get(reverse(name)).status_code in (401, 403)
