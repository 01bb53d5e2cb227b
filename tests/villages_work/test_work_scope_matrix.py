"""Every work-record view and endpoint × every role × a record inside and outside the user's scope.

Out of scope is always 404. In scope, read views answer 200; edit views answer 200 (or 302 after a POST) for the
roles that may enter records — county official, township staff, village secretary and recorder; training only
the county and township — and 403 for the others. A new URL without an entry here fails the test.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from villages.api import urls as villages_api_urls
from villages.services import api_token_create
from villages.work import urls as work_urls
from villages.work.api import urls as work_api_urls
from villages.work.views import RECORD_KINDS, TOPICS

EDITORS = {"county", "township", "village"}
ORGANIZERS = {"county", "township"}

# Which village each user's in-scope and out-of-scope records live in.
PLACES = {
    "county": ("411103103201", "340827100201"),
    "township": ("411103103201", "411103102201"),
    "village": ("411103103201", "411103103202"),
    "grid": ("411103103201", "411103103202"),
    "petition": ("340827100201", "411103103201"),
    "api": ("411103103201", "340827100201"),
}

# name → [(URL kwargs builder, access, method)], access: "read", "edit" or "organize"
SIMPLE_KINDS = sorted(k for k in RECORD_KINDS if k != "training")


def _cases():
    cases = {
        "villages:work_overview": [(lambda r: {"code": r.code}, "read", "get")],
        "villages:work_economy": [(lambda r: {"code": r.code}, "read", "get")],
        "villages:work_meetings": [(lambda r: {"code": r.code}, "read", "get")],
        "villages:work_volunteers": [(lambda r: {"code": r.code}, "read", "get")],
        "villages:work_livability": [(lambda r: {"code": r.code}, "read", "get")],
        "villages:work_training": [(lambda r: {"code": r.code}, "read", "get")],
        "villages:work_export": [(lambda r, t=topic: {"code": r.code, "topic": t}, "read", "get") for topic in TOPICS],
        "villages:work_meeting_create": [(lambda r: {"code": r.code}, "edit", "get")],
        "villages:work_meeting": [(lambda r: {"pk": r.meeting.pk}, "read", "get")],
        "villages:work_meeting_edit": [(lambda r: {"pk": r.meeting.pk}, "edit", "get")],
        "villages:work_create": [
            (lambda r, k=kind: {"code": r.code, "kind": k}, "edit", "get") for kind in SIMPLE_KINDS
        ],
        "villages:work_record": [
            (lambda r, k=kind: {"kind": k, "pk": getattr(r, k).pk}, "read", "get") for kind in RECORD_KINDS
        ],
        "villages:work_edit": [
            (lambda r, k=kind: {"kind": k, "pk": getattr(r, k).pk}, "organize" if kind == "training" else "edit", "get")
            for kind in RECORD_KINDS
        ],
        "villages:work_project_return": [(lambda r: {"pk": r.project.pk}, "edit", "post")],
        "villages:work_attendance": [(lambda r: {"pk": r.training.pk, "code": r.code}, "edit", "get")],
    }
    return cases


HTML_VIEWS = _cases()

API_DETAILS = {
    "work-income-detail": "income",
    "work-income-history": "income",
    "work-project-detail": "project",
    "work-project-history": "project",
    "work-workshop-detail": "workshop",
    "work-workshop-history": "workshop",
    "work-meeting-detail": "meeting",
    "work-meeting-history": "meeting",
    "work-station-detail": "station",
    "work-station-history": "station",
    "work-team-detail": "team",
    "work-team-history": "team",
    "work-activity-detail": "activity",
    "work-activity-history": "activity",
    "work-infrastructure-detail": "infrastructure",
    "work-infrastructure-history": "infrastructure",
    "work-inspection-detail": "inspection",
    "work-inspection-history": "inspection",
    "work-training-detail": "training",
    "work-training-history": "training",
    "work-attendance-detail": "attendance",
    "work-figures": "code",
}
API_LISTS = {
    "work-income-list",
    "work-project-list",
    "work-workshop-list",
    "work-meeting-list",
    "work-station-list",
    "work-team-list",
    "work-activity-list",
    "work-infrastructure-list",
    "work-inspection-list",
    "work-training-list",
    "work-attendance-list",
}
# The same rows for every user with a scope: the county's list of meeting kinds.
API_UNSCOPED = {"work-meeting-kind-list", "work-meeting-kind-detail"}


def _expected(role, where, access, method):
    if where == "out":
        return 404
    allowed = (
        access == "read" or (access == "edit" and role in EDITORS) or (access == "organize" and role in ORGANIZERS)
    )
    if not allowed:
        return 403
    return 302 if method == "post" else 200


def test_every_url_has_an_entry():
    html_names = {f"villages:{p.name}" for p in work_urls.urlpatterns}
    assert html_names == set(HTML_VIEWS), "add the new view to HTML_VIEWS"
    assert all(name.startswith("villages:work_") for name in html_names)
    api_names = {p.name for p in work_api_urls.urlpatterns if p.name}
    assert api_names == set(API_DETAILS) | API_LISTS | API_UNSCOPED, "add the new endpoint to the matrix"
    assert not hasattr(work_urls, "app_name"), "the work URLs live in the villages namespace"


def test_the_work_urls_are_wired_into_the_villages_app():
    assert reverse("villages:work_overview", kwargs={"code": "411103103201"}) == "/divisions/411103103201/work/"
    assert reverse("work-figures", kwargs={"code": "411103103201"}) == "/api/v1/work/figures/411103103201/"
    included = [getattr(p, "urlconf_name", None) for p in villages_api_urls.urlpatterns]
    assert any(getattr(m, "__name__", m) == "villages.work.api.urls" for m in included)


# One test per role (the records are costly to build), each going through every view.
@pytest.mark.parametrize("role", sorted(PLACES))
def test_html_view_scope(client, tree, work, role):
    client.force_login(getattr(tree.users, role))
    for name, cases in sorted(HTML_VIEWS.items()):
        for kwargs_of, access, method in cases:
            for where, code in zip(("in", "out"), PLACES[role], strict=True):
                url = reverse(name, kwargs=kwargs_of(work[code]))
                response = getattr(client, method)(url)
                assert response.status_code == _expected(role, where, access, method), (name, role, where, url)


def test_anonymous_is_sent_to_login(client, tree, work):
    records = work[PLACES["county"][0]]
    for name, cases in HTML_VIEWS.items():
        for kwargs_of, _access, method in cases:
            response = getattr(client, method)(reverse(name, kwargs=kwargs_of(records)))
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


@pytest.mark.parametrize("role", sorted(PLACES))
def test_training_is_organized_by_counties_and_townships(client, tree, work, role):
    """A session is created on a township's or county's page; on a village's page there is nowhere to put it."""
    client.force_login(getattr(tree.users, role))
    inside = work[PLACES[role][0]].village
    url = reverse("villages:work_create", kwargs={"code": inside.code, "kind": "training"})
    assert client.get(url).status_code == 404
    township_url = reverse("villages:work_create", kwargs={"code": inside.parent.code, "kind": "training"})
    # Villages' users do not see their township's page; the petition officer and API client see it, read-only.
    expected = {"county": 200, "township": 200, "village": 404, "grid": 404, "petition": 403, "api": 403}[role]
    assert client.get(township_url).status_code == expected, role


def _api(user):
    _token, raw = api_token_create(user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return api


def _api_kwargs(kind, records):
    if kind == "code":
        return {"code": records.code}
    if kind == "attendance":
        return {"pk": records.training.attendance.get().pk}
    return {"pk": getattr(records, kind).pk}


@pytest.mark.parametrize("role", sorted(PLACES))
def test_api_detail_scope(tree, work, role):
    api = _api(getattr(tree.users, role))
    for name, kind in sorted(API_DETAILS.items()):
        for where, code in zip(("in", "out"), PLACES[role], strict=True):
            response = api.get(reverse(name, kwargs=_api_kwargs(kind, work[code])))
            assert response.status_code == (200 if where == "in" else 404), (name, role, where, response.content[:200])


@pytest.mark.parametrize("role", sorted(PLACES))
def test_api_lists_hold_only_in_scope_rows(tree, work, role):
    user = getattr(tree.users, role)
    api = _api(user)
    prefixes = [s.division.prefix for s in user.scopes.select_related("division")]
    inside, outside = PLACES[role]
    for name in sorted(API_LISTS):
        response = api.get(reverse(name), {"page_size": 500})
        assert response.status_code == 200, name
        rows = response.json()["results"]
        if name == "work-training-list":
            # A session is listed when it was organized in the scope, or when a cadre of the scope attended it.
            ids = {row["id"] for row in rows}
            assert work[inside].training.pk in ids and work[outside].training.pk not in ids, (name, role)
            continue
        codes = [row["division"] for row in rows]
        assert all(any(c.startswith(p) for p in prefixes) for c in codes), (name, role, codes)
        assert inside in codes and outside not in codes, (name, role, codes)


def test_api_meeting_kinds_are_readable_by_anyone_with_a_scope(tree, work):
    for role in PLACES:
        response = _api(getattr(tree.users, role)).get(reverse("work-meeting-kind-list"))
        assert response.status_code == 200 and response.json()["count"] >= 3


def test_api_anonymous_is_refused_and_writes_are_not_allowed(tree, work):
    records = work[PLACES["county"][0]]
    api = APIClient()
    for name, kind in API_DETAILS.items():
        assert api.get(reverse(name, kwargs=_api_kwargs(kind, records))).status_code == 401, name
    for name in API_LISTS | {"work-meeting-kind-list"}:
        assert api.get(reverse(name)).status_code == 401, name
    county = _api(tree.users.county)
    response = county.post(reverse("work-income-list"), {"year": 2026}, format="json")
    assert response.status_code == 405
    assert county.delete(reverse("work-income-detail", kwargs={"pk": records.income.pk})).status_code == 405
