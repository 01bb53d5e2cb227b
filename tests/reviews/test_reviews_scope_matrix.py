"""Every reviews view and endpoint × every role × an object inside and outside the user's scope.

Out of scope is always 404. In scope, a role that may act gets its answer (200, a redirect, or a 400 for the
empty form these tests send); any other role gets 403. A new URL without an entry here fails the test.
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from reviews import services
from reviews import urls as html_urls
from reviews.api import urls as api_urls
from reviews.choices import Grade, Stage, TemplateStatus
from reviews.models import Review, ReviewLevel, VetoRule
from tests.reviews.conftest import make_small_template
from villages.models import Division
from villages.services import api_token_create

ROLES = ["county", "township", "village", "grid", "petition", "api"]
READERS = {"county", "township", "village", "api"}

# Which village each user's in-scope and out-of-scope objects live in (as in the villages matrix).
PLACES = {
    "county": ("411103103201", "340827100201"),
    "township": ("411103103201", "411103102201"),
    "village": ("411103103201", "411103103202"),
    "grid": ("411103103201", "411103103202"),
    "petition": ("340827100201", "411103103201"),
    "api": ("411103103201", "340827100201"),
}

# name → (kind of object in the URL, stage or None, method, roles that may act in scope)
HTML_VIEWS = {
    "reviews:board": ("code", None, "get", READERS),
    "reviews:gaps": ("code", None, "get", READERS),
    "reviews:ledger": ("code", None, "get", READERS),
    "reviews:campaign_create": ("county", None, "get", {"county"}),
    "reviews:campaign": ("campaign", None, "get", READERS),
    "reviews:sample_draw": ("campaign", None, "post", {"county"}),
    "reviews:review": ("review", None, "get", READERS),
    "reviews:compare": ("review", None, "get", READERS),
    "reviews:post_rating": ("review", None, "post", {"township", "county"}),
    "reviews:review_close": ("review", None, "post", {"county"}),
    "reviews:township_open_early": ("review", None, "post", {"county"}),
    "reviews:campaign_close_ready": ("campaign", None, "post", {"county"}),
    "reviews:level": ("level", Stage.VILLAGE, "get", READERS),
    "reviews:level_print": ("level", Stage.TOWNSHIP, "get", READERS),
    "reviews:level_save": ("level", Stage.VILLAGE, "post", {"village"}),
    "reviews:level_submit": ("level", Stage.TOWNSHIP, "post", {"township"}),
    "reviews:level_return": ("level", Stage.VILLAGE, "post", {"township"}),
    "reviews:level_reopen": ("level", Stage.COUNTY, "post", {"county"}),
    "reviews:templates": ("none", None, "get", set(ROLES)),
    "reviews:template": ("template", None, "get", set(ROLES)),
    "reviews:template_edit": ("template", None, "get", {"county"}),
    "reviews:template_copy": ("template", None, "post", {"county"}),
    "reviews:template_publish": ("template", None, "post", {"county"}),
    "reviews:veto_add": ("template", None, "post", {"county"}),
    "reviews:veto_delete": ("veto", None, "post", {"county"}),
}
# More stages of the level views: who writes and who supervises each.
LEVEL_VARIANTS = [
    ("reviews:level_save", Stage.TOWNSHIP, {"township"}),
    ("reviews:level_save", Stage.COUNTY, {"county"}),
    ("reviews:level_submit", Stage.VILLAGE, {"village"}),
    ("reviews:level_return", Stage.TOWNSHIP, {"county"}),
    ("reviews:level_reopen", Stage.VILLAGE, {"township"}),
]
API_DETAILS = {
    "reviews-template-detail": ("template", None, "get", set(ROLES)),
    "reviews-campaign-detail": ("campaign", None, "get", READERS),
    "reviews-review-detail": ("review", None, "get", READERS),
    "reviews-review-close": ("review", None, "post", {"county"}),
    "reviews-review-open-township": ("review", None, "post", {"county"}),
    "reviews-level-detail": ("level", Stage.VILLAGE, "get", READERS),
    "reviews-level-scores": ("level", Stage.TOWNSHIP, "post", {"township"}),
    "reviews-level-submit": ("level", Stage.COUNTY, "post", {"county"}),
    "reviews-level-return": ("level", Stage.VILLAGE, "post", {"township"}),
    "reviews-level-reopen": ("level", Stage.TOWNSHIP, "post", {"county"}),
}
API_LISTS = {"reviews-template-list", "reviews-campaign-list", "reviews-review-list", "reviews-level-list"}
API_OTHER = {"stats-reviews"}  # a matrix of its own in test_reviews_api.py


@pytest.fixture
def places(tree, more_users, campaign, wj_campaign):
    """Both counties' campaigns sampled whole, each county's own draft template with a veto."""
    services.sample_draw(actor=tree.users.county, campaign=campaign, share=Decimal(1), seed=1)
    services.sample_draw(actor=more_users.wj_county, campaign=wj_campaign, share=Decimal(1), seed=1)
    templates = {}
    for county in (tree.yc, tree.wj):
        template = make_small_template(division=county, status=TemplateStatus.DRAFT, year=2024)
        VetoRule.objects.create(template=template, name="测试否决", grade=Grade.AVERAGE)
        templates[county.code[:6]] = template
    result = {}
    for role, (inside, outside) in PLACES.items():
        result[role] = {}
        for where, code in (("in", inside), ("out", outside)):
            review = Review.objects.get(village__code=code)
            # What belongs to a county (campaign, template) lies outside only in the other county.
            county = inside[:6] if where == "in" else next(c for c in ("411103", "340827") if c != inside[:6])
            template = templates[county]
            result[role][where] = {
                "code": code,
                "county": Division.objects.get(code=county + "000000").code,
                "campaign": Review.objects.filter(village__code__startswith=county).first().campaign_id,
                "review": review.pk,
                "levels": {lv.level: lv.pk for lv in ReviewLevel.objects.filter(review=review)},
                "template": template.pk,
                "veto": template.vetoes.get(name="测试否决").pk,
            }
    return result


def html_kwargs(kind, stage, objs):
    if kind in ("code", "county"):
        return {"code": objs[kind]}
    if kind == "level":
        return {"pk": objs["review"], "level": stage}
    if kind == "none":
        return {}
    return {"pk": objs[kind]}


def api_kwargs(kind, stage, objs):
    return {"pk": objs["levels"][stage]} if kind == "level" else {"pk": objs[kind]}


# Levels a role may not read in these open reviews (reviews.visibility): the village reads neither the
# township's nor the county's before the county closes the review; the township reads neither the village's
# self-diagnosis nor the county's re-diagnosis before they are submitted (here, all are drafts). Answered 404.
HIDDEN = {
    ("village", Stage.TOWNSHIP),
    ("village", Stage.COUNTY),
    ("township", Stage.VILLAGE),
    ("township", Stage.COUNTY),
}


def expected_in_scope(name, kind, role, allowed, stage=None):
    if kind == "county" and role in ("township", "village", "grid"):
        return 404  # the county itself lies outside a township's or village's scope
    if kind == "level" and (role, stage) in HIDDEN:
        return 404
    return "allowed" if role in allowed else 403


def check(response, expected, context):
    if expected == "allowed":
        assert response.status_code not in (403, 404), context
    else:
        assert response.status_code == expected, context


def test_every_url_has_an_entry():
    html_names = {f"reviews:{p.name}" for p in html_urls.urlpatterns}
    assert html_names == set(HTML_VIEWS), "add the new view to HTML_VIEWS"
    api_names = {p.name for p in api_urls.urlpatterns if p.name and not p.name.endswith("-root")}
    assert api_names == set(API_DETAILS) | API_LISTS | API_OTHER, "add the new endpoint to the matrix"


HTML_CASES = [(name, stage, allowed) for name, (_k, stage, _m, allowed) in HTML_VIEWS.items()] + LEVEL_VARIANTS


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "stage", "allowed"), HTML_CASES, ids=[f"{n}-{s}" for n, s, _ in HTML_CASES])
def test_html_view_scope(client, tree, places, role, name, stage, allowed):
    kind, _stage, method, _allowed = HTML_VIEWS[name]
    client.force_login(getattr(tree.users, role))
    for where in ("in", "out"):
        url = reverse(name, kwargs=html_kwargs(kind, stage, places[role][where]))
        response = getattr(client, method)(url)
        if kind == "none":
            expected = "allowed"
        elif where == "out":
            expected = 404
        else:
            expected = expected_in_scope(name, kind, role, allowed, stage)
        check(response, expected, (name, stage, role, where, url, response.status_code))


def test_anonymous_is_sent_to_login(client, tree, places):
    for name, (kind, stage, method, _allowed) in HTML_VIEWS.items():
        url = reverse(name, kwargs=html_kwargs(kind, stage, places["county"]["in"]))
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(API_DETAILS))
def test_api_detail_scope(tree, places, role, name):
    kind, stage, method, allowed = API_DETAILS[name]
    api = APIClient()
    _token, raw = api_token_create(user=getattr(tree.users, role))
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    for where in ("in", "out"):
        url = reverse(name, kwargs=api_kwargs(kind, stage, places[role][where]))
        response = getattr(api, method)(url, {}, format="json")
        if role == "api" and method == "post":
            expected = 403  # a read-only client writes nothing, anywhere
        elif where == "out":
            expected = 404
        else:
            expected = expected_in_scope(name, kind, role, allowed, stage)
        check(response, expected, (name, role, where, response.status_code, response.content[:200]))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(API_LISTS))
def test_api_lists_hold_only_readable_rows(tree, places, role, name):
    user = getattr(tree.users, role)
    api = APIClient()
    api.force_authenticate(user)
    response = api.get(reverse(name), {"page_size": 500})
    assert response.status_code == 200
    rows = response.json()["results"]
    inside, outside = places[role]["in"], places[role]["out"]
    if name == "reviews-template-list":
        ids = {row["id"] for row in rows}
        assert inside["template"] in ids and outside["template"] not in ids
        return
    if role not in READERS:
        assert rows == [], (name, role)
        return
    if name == "reviews-campaign-list":
        ids = {row["id"] for row in rows}
        assert inside["campaign"] in ids and outside["campaign"] not in ids
    elif name == "reviews-review-list":
        codes = {row["village"] for row in rows}
        assert inside["code"] in codes and outside["code"] not in codes
    else:
        codes = {row["village"] for row in rows}
        assert inside["code"] in codes and outside["code"] not in codes


def test_api_anonymous_is_refused(tree, places):
    api = APIClient()
    for name, (kind, stage, method, _allowed) in API_DETAILS.items():
        url = reverse(name, kwargs=api_kwargs(kind, stage, places["county"]["in"]))
        assert getattr(api, method)(url).status_code == 401, name
    for name in API_LISTS:
        assert api.get(reverse(name)).status_code == 401, name
