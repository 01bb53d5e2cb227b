"""Every petitions view and endpoint × every role × an object inside and outside the user's scope.

Out of scope is 404. A case or dispute the role may not read at all (petitions are hidden from the village
roles, since a petition may accuse a village cadre) is 404 too. In scope, a role that may act gets its page
(200) or, for a step, the step done (302 in the browser, 200/201 over the API); any other role 403. Steps are
tried on a case in the state where they belong, so the matrix checks role and scope, not state. A URL without
an entry here fails the test.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from petitions import urls as html_urls
from petitions.api import urls as api_urls
from petitions.models import Dispute, Petition, PetitionAttachment
from petitions.services import attachment_add

ROLES = ["county", "township", "village", "grid", "petition", "api"]
# Where each user's in-scope and out-of-scope objects are (see `places` in conftest.py).
PLACES = {
    "county": ("yc", "wj"),
    "township": ("yc", "yc_out"),
    "village": ("yc", "wj"),
    "grid": ("yc", "wj"),
    "petition": ("wj", "yc"),
    "api": ("yc", "wj"),
}
PETITION_READERS = {"county", "township", "petition", "api"}
DISPUTE_READERS = PETITION_READERS | {"village", "grid"}
HANDLERS = {"township", "petition"}

# name → (object in the URL, roles that may, method). Objects: "place" (the village concerned), "unit" (the
# township responsible), a case, a dispute or an attachment.
HTML_VIEWS = {
    "petitions:board": ("place", PETITION_READERS, "get"),
    "petitions:list": ("place", PETITION_READERS, "get"),
    "petitions:ledger": ("place", PETITION_READERS, "get"),
    "petitions:register": ("unit", {"petition"}, "get"),
    "petitions:disputes": ("place", DISPUTE_READERS, "get"),
    "petitions:dispute_ledger": ("place", DISPUTE_READERS, "get"),
    "petitions:dispute_create": ("place", DISPUTE_READERS - {"county", "api"}, "get"),
    "petitions:case": ("case", PETITION_READERS, "get"),
    "petitions:attachment": ("attachment", PETITION_READERS, "get"),
    "petitions:dispute": ("dispute", DISPUTE_READERS, "get"),
    "petitions:attachment_add": ("case", HANDLERS, "post"),
}
# step → (state of the case, roles that may, the form's data for the case)
TODAY = timezone.localdate


def _day(d):
    return d.isoformat()


CASE_STEPS = {
    "accept": ("registered", {"petition"}, lambda c, u: {"on": _day(TODAY())}),
    "assign": ("registered", {"petition"}, lambda c, u: {"unit": u.pk, "mode": "assign", "on": _day(TODAY())}),
    "refuse": ("registered", {"petition"}, lambda c, u: {"reason": "不属于信访事项", "on": _day(TODAY())}),
    "extend": ("handling", HANDLERS, lambda c, u: {
        "days": 10, "approved_by": "镇长", "reason": "需会商", "notified_on": _day(c.accepted_on),
        "on": _day(c.accepted_on)}),
    "conclude": ("handling", HANDLERS, lambda c, u: {
        "decision": "support", "decision_text": "支持", "on": _day(TODAY())}),
    "deliver": ("concluded", HANDLERS, lambda c, u: {"method": "in_person", "on": _day(TODAY())}),
    "rate": ("delivered", HANDLERS, lambda c, u: {"satisfaction": "satisfied", "on": _day(TODAY())}),
    "return_visit": ("delivered", HANDLERS, lambda c, u: {"note": "认可", "on": _day(TODAY())}),
    "review_request": ("delivered", {"petition"}, lambda c, u: {
        "on": _day(c.delivered_on + datetime.timedelta(days=1))}),
    "review_answer": ("review", {"petition", "county"}, lambda c, u: {
        "result": "upheld", "text": "维持", "reviewing_body": "县信访局", "on": _day(TODAY())}),
    "rereview_request": ("reviewed", {"petition"}, lambda c, u: {
        "on": _day(c.review_answered_on + datetime.timedelta(days=1))}),
    "rereview_answer": ("rereview", {"petition", "county"}, lambda c, u: {
        "result": "upheld", "text": "维持", "reviewing_body": "市信访局", "on": _day(TODAY())}),
    "supervise": ("registered", {"county", "petition"}, lambda c, u: {"note": "三日内报告", "on": _day(TODAY())}),
}  # fmt: skip
DISPUTE_STEPS = {
    "mediate": ("screened", {"township", "petition", "village"}, lambda d: {
        "kind": "peoples", "mediator": "调解员", "method": "face_to_face", "sessions": 1,
        "started_on": _day(d.screened_on), "ended_on": _day(d.screened_on), "resolved": "on", "agreement": "和解"}),
    "follow_up": ("resolved", {"township", "petition", "village"}, lambda d: {"note": "协议履行", "on": _day(TODAY())}),
    "escalate": ("screened", {"township", "petition"}, lambda d: {"grid_request_ref": "WG-1", "on": _day(TODAY())}),
}  # fmt: skip
API_READS = {
    "petition-detail": "case",
    "dispute-detail": "dispute",
}
API_LISTS = {"petition-list", "dispute-list"}
API_STEP_NAMES = {
    "accept": "petition-accept", "assign": "petition-assign", "refuse": "petition-refuse",
    "extend": "petition-extend", "conclude": "petition-conclude", "deliver": "petition-deliver",
    "rate": "petition-rate", "return_visit": "petition-return-visit", "review_request": "petition-review-request",
    "review_answer": "petition-review-answer", "rereview_request": "petition-rereview-request",
    "rereview_answer": "petition-rereview-answer", "supervise": "petition-supervise",
}  # fmt: skip
API_DISPUTE_STEP_NAMES = {
    "mediate": "dispute-mediate",
    "follow_up": "dispute-follow-up",
    "escalate": "dispute-escalate",
}
API_OTHER = {"stats-petitions", "petition-attachments"}  # tested below, each on its own


def test_every_url_has_an_entry():
    html_names = {f"petitions:{p.name}" for p in html_urls.urlpatterns}
    actions = {"petitions:case_action", "petitions:dispute_action", "petitions:index"}
    assert html_names == set(HTML_VIEWS) | actions, "add the new view to HTML_VIEWS"
    api_names = {p.name for p in api_urls.urlpatterns if p.name}
    expected = set(API_READS) | API_LISTS | set(API_STEP_NAMES.values()) | set(API_DISPUTE_STEP_NAMES.values())
    assert api_names == expected | API_OTHER, "add the new endpoint to the matrix"


def _user(tree, role):
    return getattr(tree.users, role)


def _expected(role, where, allowed, readers):
    if where == "out" or role not in readers:
        return 404
    return "ok" if role in allowed else 403


@pytest.fixture
def objects(tree, places, make_case, make_dispute):
    """objects(role, where, case_state="handling", dispute_state="screened") → the objects a URL may name."""

    def build(role, where, case_state="handling", dispute_state="screened"):
        key = PLACES[role][0 if where == "in" else 1]
        officer, _handler, place, unit, _county = places(key)
        case = make_case(case_state, where=key)
        result = {"place": place.code, "unit": unit.code, "case": case, "unit_obj": unit}
        result["dispute"] = make_dispute(dispute_state, where=key)
        pdf = SimpleUploadedFile("letter.pdf", b"%PDF-1.4 test", content_type="application/pdf")
        result["attachment"] = attachment_add(actor=officer, petition=case, file=pdf)
        return result

    return build


def _url(name, kind, objs):
    if kind in {"place", "unit"}:
        return reverse(name, kwargs={"code": objs[kind]})
    return reverse(name, kwargs={"pk": objs[kind].pk})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(HTML_VIEWS))
def test_html_view_scope(client, tree, objects, role, name):
    kind, allowed, method = HTML_VIEWS[name]
    readers = PETITION_READERS if kind in {"case", "attachment"} else DISPUTE_READERS
    client.force_login(_user(tree, role))
    for where in ("in", "out"):
        objs = objects(role, where)
        url = _url(name, kind, objs)
        if method == "post":
            upload = SimpleUploadedFile("scan.png", b"\x89PNG\r\n\x1a\n0000", content_type="image/png")
            response = client.post(url, {"file": upload})
        else:
            response = client.get(url)
        if kind in {"place", "unit"}:
            # A place code names a division, which every role of the scope sees; reading it needs the role.
            in_scope = where == "in" and (kind == "place" or role not in {"village", "grid"})
            expected = (200 if role in allowed else 403) if in_scope else 404
        else:
            expected = _expected(role, where, allowed, readers)
            if expected == "ok":
                expected = 302 if method == "post" else 200
        assert response.status_code == expected, (name, role, where, url)
        if response.streaming:
            # Read to the end: the test client then closes the file (a bare close() would also close the
            # database connection, as at the end of a real request).
            b"".join(response.streaming_content)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", sorted(CASE_STEPS))
def test_case_step_scope(client, tree, objects, role, step):
    state, allowed, data = CASE_STEPS[step]
    client.force_login(_user(tree, role))
    for where in ("in", "out"):
        objs = objects(role, where, case_state=state)
        case = objs["case"]
        body = {f"{step}-{key}": value for key, value in data(case, objs["unit_obj"]).items()}
        response = client.post(reverse("petitions:case_action", args=[case.pk, step]), body)
        expected = _expected(role, where, allowed, PETITION_READERS)
        if expected == "ok":
            assert response.status_code == 302, (step, role, response.content.decode()[:3000])
            assert Petition.objects.get(pk=case.pk).steps.filter(action=step).exists(), (step, role)
        else:
            assert response.status_code == expected, (step, role, where)
            assert Petition.objects.get(pk=case.pk).status == case.status


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", sorted(DISPUTE_STEPS))
def test_dispute_step_scope(client, tree, objects, role, step):
    state, allowed, data = DISPUTE_STEPS[step]
    client.force_login(_user(tree, role))
    for where in ("in", "out"):
        dispute = objects(role, where, dispute_state=state)["dispute"]
        before = Dispute.objects.get(pk=dispute.pk)
        body = {f"{step}-{key}": value for key, value in data(dispute).items()}
        response = client.post(reverse("petitions:dispute_action", args=[dispute.pk, step]), body)
        expected = _expected(role, where, allowed, DISPUTE_READERS)
        if expected == "ok":
            assert response.status_code == 302, (step, role, response.content.decode()[:3000])
            after = Dispute.objects.get(pk=dispute.pk)
            assert after.mediations.filter(followed_up_on__isnull=False).exists() or after.status != before.status
        else:
            assert response.status_code == expected, (step, role, where)
            assert Dispute.objects.get(pk=dispute.pk).status == before.status


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(API_READS))
def test_api_read_scope(tree, objects, role, name):
    kind = API_READS[name]
    readers = PETITION_READERS if kind == "case" else DISPUTE_READERS
    api = _api(_user(tree, role))
    for where in ("in", "out"):
        obj = objects(role, where)[kind]
        response = api.get(reverse(name, kwargs={"pk": obj.pk}))
        expected = 200 if where == "in" and role in readers else 404
        assert response.status_code == expected, (name, role, where)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(API_LISTS))
def test_api_lists_hold_only_in_scope_rows(tree, objects, role, name):
    inside, outside = objects(role, "in"), objects(role, "out")
    kind = "case" if name == "petition-list" else "dispute"
    response = _api(_user(tree, role)).get(reverse(name), {"page_size": 500})
    assert response.status_code == 200
    numbers = {row["number"] for row in response.json()["results"]}
    readers = PETITION_READERS if kind == "case" else DISPUTE_READERS
    assert (inside[kind].number in numbers) == (role in readers), (name, role)
    assert outside[kind].number not in numbers


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", sorted(CASE_STEPS))
def test_api_case_step_scope(tree, objects, role, step):
    state, allowed, data = CASE_STEPS[step]
    api = _api(_user(tree, role))
    for where in ("in", "out"):
        objs = objects(role, where, case_state=state)
        case = objs["case"]
        body = data(case, objs["unit_obj"])
        if step == "assign":
            body = {"unit": objs["unit_obj"].code, "on": body["on"]}
        response = api.post(reverse(API_STEP_NAMES[step], args=[case.pk]), body, format="json")
        if role == "api":
            expected = 403  # a read-only client may write nothing, in scope or out
        elif where == "out" or role not in PETITION_READERS:
            expected = 404
        else:
            expected = 200 if role in allowed else 403
        assert response.status_code == expected, (step, role, where, response.content[:500])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", sorted(DISPUTE_STEPS))
def test_api_dispute_step_scope(tree, objects, role, step):
    state, allowed, data = DISPUTE_STEPS[step]
    api = _api(_user(tree, role))
    for where in ("in", "out"):
        dispute = objects(role, where, dispute_state=state)["dispute"]
        body = data(dispute)
        if "resolved" in body:
            body["resolved"] = True
        response = api.post(reverse(API_DISPUTE_STEP_NAMES[step], args=[dispute.pk]), body, format="json")
        if role == "api":
            expected = 403  # a read-only client may write nothing, in scope or out
        elif where == "out" or role not in DISPUTE_READERS:
            expected = 404
        else:
            expected = 200 if role in allowed else 403
        assert response.status_code == expected, (step, role, where, response.content[:500])


@pytest.mark.parametrize("role", ROLES)
def test_api_attachment_scope(tree, objects, role):
    api = _api(_user(tree, role))
    for where in ("in", "out"):
        case = objects(role, where)["case"]
        upload = SimpleUploadedFile("scan.png", b"\x89PNG\r\n\x1a\n0000", content_type="image/png")
        response = api.post(reverse("petition-attachments", args=[case.pk]), {"file": upload}, format="multipart")
        if role == "api":
            expected = 403  # a read-only client may write nothing, in scope or out
        elif where == "out" or role not in PETITION_READERS:
            expected = 404
        else:
            expected = 201 if role in HANDLERS else 403
        assert response.status_code == expected, (role, where, response.content[:300])


@pytest.mark.parametrize("role", ROLES)
def test_stats_scope(tree, objects, role):
    api = _api(_user(tree, role))
    for where, expected in (("in", 200), ("out", 404)):
        code = objects(role, where)["place"]
        response = api.get(reverse("stats-petitions"), {"division": code, "period": "2026"})
        assert response.status_code == expected, (role, where)


def test_anonymous_is_sent_to_login_or_refused(client, tree, objects):
    objs = objects("petition", "in")
    for name, (kind, _allowed, method) in HTML_VIEWS.items():
        url = _url(name, kind, objs)
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
    for step in CASE_STEPS:
        response = client.post(reverse("petitions:case_action", args=[objs["case"].pk, step]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], step
    assert client.get(reverse("petitions:index")).status_code == 302
    api = APIClient()
    assert api.get(reverse("petition-detail", args=[objs["case"].pk])).status_code == 401
    assert api.get(reverse("petition-list")).status_code == 401
    assert api.get(reverse("stats-petitions"), {"division": objs["place"]}).status_code == 401
    assert api.post(reverse("petition-accept", args=[objs["case"].pk]), {}).status_code == 401


def test_an_unknown_step_is_404(client, tree, objects):
    client.force_login(tree.users.petition)
    case = objects("petition", "in")["case"]
    assert client.post(reverse("petitions:case_action", args=[case.pk, "delete"])).status_code == 404


def test_attachment_download_keeps_the_name_and_scope(client, tree, objects):
    objs = objects("petition", "in")
    attachment = PetitionAttachment.objects.get(pk=objs["attachment"].pk)
    assert attachment.file.name.startswith("petitions/") and "letter" not in attachment.file.name
    client.force_login(tree.users.petition)
    response = client.get(reverse("petitions:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert "letter.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
