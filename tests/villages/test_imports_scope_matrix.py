"""The import pages × every role × a county inside and outside the user's scope (tests/test_permission_matrix.py
collects IMPORT_VIEWS). Imports of divisions are a county official's: another county's pages and jobs answer 404,
a user of the county below the county level answers 404 for the county's pages (the county is not theirs to see),
and a village's cadre in scope of a village answers 403 or 404 for a county's divisions import."""

import pytest
from django.urls import reverse

from tests.villages.test_imports import DIVISION_HEADERS, upload
from villages.models import ImportJob

# name → (what the URL names, method, status for the county official of 郾城区)
IMPORT_VIEWS = {
    "villages:imports": ("county", "get", 200),
    "villages:import_template": ("county-kind", "get", 200),
    "villages:import_upload": ("county-kind", "get", 200),
    "villages:import_job": ("job", "get", 200),
    "villages:import_job_progress": ("job", "get", 200),
    "villages:import_job_confirm": ("job", "post", 302),
}
# role → status on 郾城区's pages and jobs: 望江县's users are out of scope; the township's and the village's see
# 郾城区's county page only as an ancestor, never its imports.
OUTSIDE = {"petition": {404}, "township": {403, 404}, "village": {403, 404}, "grid": {403, 404}}


def test_every_import_url_has_an_entry():
    from villages.imports import urls

    assert {f"villages:{p.name}" for p in urls.urlpatterns} == set(IMPORT_VIEWS)


@pytest.fixture
def job(tree, django_capture_on_commit_callbacks):
    return upload(django_capture_on_commit_callbacks, tree.users.county, tree.yc, "divisions", DIVISION_HEADERS,
                  [["411103104000", "新店镇", "乡镇", "镇", None, None, None]])  # fmt: skip


def _url(name, what, tree, job):
    if what == "county":
        return reverse(name, args=[tree.yc.code])
    if what == "county-kind":
        return reverse(name, args=[tree.yc.code, "divisions"])
    return reverse(name, args=[job.pk])


@pytest.mark.parametrize("name", sorted(IMPORT_VIEWS))
@pytest.mark.parametrize("role", ["county", *sorted(OUTSIDE)])
def test_import_view_scope(name, role, tree, job, client):
    what, method, in_scope = IMPORT_VIEWS[name]
    client.force_login(getattr(tree.users, role))
    url = _url(name, what, tree, job)
    response = client.post(url) if method == "post" else client.get(url)
    expected = {in_scope} if role == "county" else OUTSIDE[role]
    assert response.status_code in expected, (role, name, response.status_code)
    if role != "county":
        assert ImportJob.objects.get(pk=job.pk).status == job.status  # nothing moved
