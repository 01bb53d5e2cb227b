"""Every follow-up view and endpoint × every role × an object inside and outside the user's scope.

Out of scope is always 404. In scope, a role that may act gets its answer (200, a redirect, or a 400 for the
empty form these tests send); any other role gets 403. A new URL without an entry here fails the test.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from reviews.followup import services
from reviews.followup import urls as html_urls
from reviews.followup.api import urls as api_urls
from reviews.models import Check, Review
from tests.factories import CadreFactory, PostFactory
from tests.reviews.followup_data import upload
from villages.choices import AdjustmentKind, ApprovingLevel, PostTitle
from villages.metrics import Period
from villages.models import Division
from villages.services import api_token_create

ROLES = ["county", "township", "village", "grid", "petition", "api"]
READERS = {"county", "township", "village", "api"}
TOWNSHIP_OR_COUNTY = {"county", "township"}
REPORTERS = {"county", "township", "village"}

PLACES = {
    "county": ("411103103201", "340827100201"),
    "township": ("411103103201", "411103102201"),
    "village": ("411103103201", "411103103202"),
    "grid": ("411103103201", "411103103202"),
    "petition": ("340827100201", "411103103201"),
    "api": ("411103103201", "340827100201"),
}

# name → (kind of object in the URL, method, roles that may act in scope)
HTML_VIEWS = {
    "followup:overview": ("code", "get", READERS),
    "followup:ledger": ("code", "get", READERS),
    "followup:problems": ("code", "get", READERS),
    "followup:problem_create": ("code", "get", TOWNSHIP_OR_COUNTY),
    "followup:common_measure_create": ("county", "get", {"county"}),
    "followup:plan_create": ("code", "get", TOWNSHIP_OR_COUNTY),
    "followup:evaluations": ("code", "get", READERS),
    "followup:evaluation_create": ("code", "get", TOWNSHIP_OR_COUNTY),
    "followup:talks": ("code", "get", READERS),
    "followup:talk_create": ("code", "get", TOWNSHIP_OR_COUNTY),
    "followup:books": ("code", "get", READERS),
    "followup:entry_add": ("code", "get", {"township"}),
    "followup:publish": ("code", "post", TOWNSHIP_OR_COUNTY),
    "followup:problem": ("problem", "get", READERS),
    "followup:common_measure": ("common_measure", "get", READERS),
    "followup:plan": ("plan", "get", READERS),
    "followup:measure_add": ("plan", "get", TOWNSHIP_OR_COUNTY),
    "followup:measure": ("measure", "get", READERS),
    "followup:measure_done": ("measure", "post", REPORTERS),
    "followup:measure_close": ("measure", "post", TOWNSHIP_OR_COUNTY),
    "followup:measure_send_back": ("measure", "post", TOWNSHIP_OR_COUNTY),
    "followup:evidence_upload": ("measure", "post", REPORTERS),
    "followup:evidence": ("evidence", "get", READERS),
    "followup:evaluation_meeting": ("meeting", "get", READERS),
    "followup:talk": ("talk", "get", READERS),
    "followup:publication": ("publication", "get", READERS),
    "followup:adjust": ("post", "get", TOWNSHIP_OR_COUNTY),
}
API_DETAILS = {
    "followup-evaluation-detail": ("evaluation", "get", READERS),
    "followup-talk-detail": ("talk", "get", READERS),
    "followup-problem-detail": ("problem", "get", READERS),
    "followup-common-measure-detail": ("common_measure", "get", READERS),
    "followup-plan-detail": ("plan", "get", READERS),
    "followup-measure-detail": ("measure", "get", READERS),
    "followup-measure-done": ("measure", "post", REPORTERS),
    "followup-measure-close": ("measure", "post", TOWNSHIP_OR_COUNTY),
    "followup-measure-send-back": ("measure", "post", TOWNSHIP_OR_COUNTY),
    "followup-measure-evidence": ("measure", "post", REPORTERS),
    "followup-record-entry-detail": ("entry", "get", READERS),
    "followup-publication-detail": ("publication", "get", READERS),
    "followup-adjustment-detail": ("basis", "get", READERS),
}
# list name → the object kind whose in-scope id must be listed and out-of-scope id must not
API_LISTS = {
    "followup-evaluation-list": "evaluation",
    "followup-talk-list": "talk",
    "followup-problem-list": "problem",
    "followup-common-measure-list": "common_measure",
    "followup-plan-list": "plan",
    "followup-measure-list": "measure",
    "followup-record-entry-list": "entry",
    "followup-publication-list": "publication",
    "followup-adjustment-list": "basis",
}
API_OTHER = {"followup-summary": ("code", "get", READERS)}
COUNTY_OBJECTS = {"county", "common_measure"}  # belong to a county: outside only in the other county


def _objects(village, campaign, actor, month) -> dict:
    check = Check.objects.filter(template_id=campaign.template_id).first()
    cadre = CadreFactory(division=village, name=f"测{village.code[-3:]}")
    post = PostFactory(cadre=cadre, title=PostTitle.MEMBER)
    spare = PostFactory(cadre=CadreFactory(division=village), title=PostTitle.MEMBER)
    problem = services.problem_create(
        actor=actor, campaign=campaign, check=check, kind="particular", title="问题", villages=[village]
    )
    plan = services.plan_create(actor=actor, campaign=campaign, village=village)
    measure = services.measure_add(
        actor=actor, plan=plan, content="措施", owner="某", deadline=month.end, problem=problem
    )
    evidence = services.evidence_upload(actor=actor, measure=measure, file=upload())
    scale = services.default_scales()["称职评议"]
    meeting = services.evaluation_record(
        actor=actor,
        village=village,
        year=2024,
        date=datetime.date(2024, 12, 1),
        organizer="镇党委",
        expected=10,
        attendance=10,
        scale=scale,
        results={cadre.pk: dict.fromkeys(scale.options, 1)},
    )
    talk = services.talk_record(
        actor=actor,
        cadre=cadre,
        kind="reminder",
        talker="书记",
        note_taker="委员",
        held_at=timezone.now(),
        place="会议室",
        reason="提醒",
        content="内容",
    )
    entry = services.record_entry_add(actor=actor, cadre=cadre, book="blue", date=month.start, content="值班")
    publication = services.record_books_publish(actor=actor, village=village, period=month.key)
    adjustment = services.cadre_adjust_on_basis(
        actor=actor,
        post=spare,
        kind=AdjustmentKind.REMOVAL,
        date=timezone.localdate(),
        reason="调整",
        approved_by=ApprovingLevel.COUNTY,
        review=Review.objects.get(village=village),
    )
    common = services.common_measure_create(
        actor=actor, campaign=campaign, title="共性措施", problems=[problem], adopted_on=timezone.localdate()
    )
    return {
        "code": village.code,
        "county": village.code[:6] + "000000",
        "problem": problem.pk,
        "plan": plan.pk,
        "measure": measure.pk,
        "evidence": evidence.pk,
        "meeting": meeting.pk,
        "evaluation": meeting.evaluations.get().pk,
        "talk": talk.pk,
        "entry": entry.pk,
        "publication": publication.pk,
        "post": post.pk,
        "basis": adjustment.review_basis.pk,
        "common_measure": common.pk,
    }


@pytest.fixture
def places(tree, more_users, campaign, wj_campaign, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    month = Period.parse(timezone.localdate().strftime("%Y-%m")).previous
    by_code = {}
    for code in {c for pair in PLACES.values() for c in pair}:
        village = Division.objects.get(code=code)
        # Made by a superuser: the matrix is about who reads and acts, not who made the records.
        by_code[code] = _objects(
            village, campaign if code.startswith("411103") else wj_campaign, more_users.admin, month
        )
    result = {}
    for role, (inside, outside) in PLACES.items():
        other = next(c for c in by_code if c[:6] != inside[:6])
        result[role] = {"in": by_code[inside], "out": by_code[outside], "other_county": by_code[other]}
    return result


def kwargs_for(kind, objs):
    return {"code": objs[kind]} if kind in ("code", "county") else {"pk": objs[kind]}


def objects_for(role, where, kind, places):
    if where == "out" and kind in COUNTY_OBJECTS:
        return places[role]["other_county"]
    return places[role][where]


def expected_in_scope(kind, role, allowed):
    if kind == "county" and role in ("township", "village", "grid"):
        return 404  # the county itself lies outside a township's or village's scope
    return "allowed" if role in allowed else 403


def check(response, expected, context):
    if expected == "allowed":
        assert response.status_code not in (403, 404), context
    else:
        assert response.status_code == expected, context


def test_every_url_has_an_entry():
    html_names = {f"followup:{p.name}" for p in html_urls.urlpatterns}
    assert html_names == set(HTML_VIEWS), "add the new view to HTML_VIEWS"
    api_names = {p.name for p in api_urls.urlpatterns if p.name and not p.name.endswith("-root")}
    assert api_names == set(API_DETAILS) | set(API_LISTS) | set(API_OTHER), "add the new endpoint to the matrix"


@pytest.mark.parametrize("role", ROLES)
def test_html_view_scope(client, tree, places, role):
    client.force_login(getattr(tree.users, role))
    for name, (kind, method, allowed) in HTML_VIEWS.items():
        for where in ("in", "out"):
            url = reverse(name, kwargs=kwargs_for(kind, objects_for(role, where, kind, places)))
            response = getattr(client, method)(url)
            expected = 404 if where == "out" else expected_in_scope(kind, role, allowed)
            check(response, expected, (name, role, where, url, response.status_code))


def test_anonymous_is_sent_to_login(client, tree, places):
    for name, (kind, method, _allowed) in HTML_VIEWS.items():
        url = reverse(name, kwargs=kwargs_for(kind, places["county"]["in"]))
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


@pytest.mark.parametrize("role", ROLES)
def test_api_detail_scope(tree, places, role):
    api = APIClient()
    _token, raw = api_token_create(user=getattr(tree.users, role))
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    for name, (kind, method, allowed) in {**API_DETAILS, **API_OTHER}.items():
        for where in ("in", "out"):
            url = reverse(name, kwargs=kwargs_for(kind, objects_for(role, where, kind, places)))
            response = getattr(api, method)(url, {}, format="json")
            if role == "api" and method == "post":
                expected = 403  # a read-only client writes nothing, anywhere
            elif where == "out":
                expected = 404
            else:
                expected = expected_in_scope(kind, role, allowed)
            check(response, expected, (name, role, where, response.status_code, response.content[:200]))


@pytest.mark.parametrize("role", ROLES)
def test_api_lists_hold_only_readable_rows(tree, places, role):
    api = APIClient()
    api.force_authenticate(getattr(tree.users, role))
    for name, kind in API_LISTS.items():
        response = api.get(reverse(name), {"page_size": 500})
        assert response.status_code == 200, name
        ids = {row["id"] for row in response.json()["results"]}
        if role not in READERS:
            assert ids == set(), (name, role)
            continue
        inside = places[role]["in"][kind]
        outside = objects_for(role, "out", kind, places)[kind]
        assert inside in ids and outside not in ids, (name, role)


def test_api_anonymous_is_refused(tree, places):
    api = APIClient()
    for name, (kind, method, _allowed) in {**API_DETAILS, **API_OTHER}.items():
        url = reverse(name, kwargs=kwargs_for(kind, places["county"]["in"]))
        assert getattr(api, method)(url).status_code == 401, name
    for name in API_LISTS:
        assert api.get(reverse(name)).status_code == 401, name


def test_the_reviews_of_each_place_exist(places):
    assert Review.objects.count() == 4  # the small campaigns cover all four villages
