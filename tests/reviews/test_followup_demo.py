"""The follow-up demo: the seed's figures for 郾城区 (44 common and 49 particular problems, 34 common measures, a
plan for every village with a problem, 9 talks in 裴城镇, 7 secretaries and 53 committee members adjusted, record
books with three months published) appear on the county's pages and in the API.

One test on purpose: loading the villages, reviews and follow-up demos takes ~10 s, so it is done once."""

import io

from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from reviews import demo as reviews_demo
from reviews.followup import demo as followup_demo
from reviews.followup.choices import MeasureStatus, ProblemKind
from reviews.followup.models import (
    AdjustmentBasis,
    CommonMeasure,
    Measure,
    Problem,
    ProblemVillage,
    RecordBookPublication,
    RectificationPlan,
    Talk,
)
from villages import demo as villages_demo
from villages.choices import PostTitle
from villages.metrics import Period
from villages.models import Division


def test_the_demo_gives_the_seeds_figures_on_the_pages_and_in_the_api(db, client):
    out = io.StringIO()
    villages_demo.load(out)
    reviews_demo.load(out)
    followup_demo.load(out)
    followup_demo.load(out)  # idempotent
    assert "follow-up records already there" in out.getvalue()

    assert Problem.objects.filter(kind=ProblemKind.COMMON).count() == 44
    assert Problem.objects.filter(kind=ProblemKind.PARTICULAR).count() == 49
    assert CommonMeasure.objects.count() == 34
    with_problem = set(ProblemVillage.objects.values_list("village_id", flat=True))
    assert set(RectificationPlan.objects.values_list("village_id", flat=True)) == with_problem
    assert Measure.objects.overdue().exists() and Measure.objects.filter(status=MeasureStatus.CLOSED).exists()
    assert Talk.objects.filter(village__code__startswith="411103103").count() == 9
    bases = AdjustmentBasis.objects.select_related("adjustment__post")
    assert sum(b.adjustment.post.title == PostTitle.SECRETARY for b in bases) == 7
    assert sum(b.adjustment.post.title == PostTitle.MEMBER for b in bases) == 53
    peicheng = Division.objects.filter(code__startswith="411103103", level="village")
    assert RecordBookPublication.objects.filter(village__in=peicheng).count() == peicheng.count() * 3

    client.login(username="yc_county", password="shanzhi-demo")
    page = client.get(reverse("followup:overview", kwargs={"code": "411103000000"}))
    html = page.content.decode()
    for testid, value in (
        ("problems-common", 44),
        ("problems-particular", 49),
        ("common-measures", 34),
        ("plans", len(with_problem)),
    ):
        assert f'data-testid="{testid}">{value}<' in html, testid
    # The dashboard's panels show once the period is tallied (before that the page says what is missing).
    call_command("tally", division="411103000000", period=Period.current_year().key, stdout=io.StringIO())
    dashboard = client.get(reverse("villages:division", kwargs={"code": "411103000000"})).content.decode()
    assert "followup-panel-plans" in dashboard

    api = APIClient()
    token = api.post(reverse("auth-token"), {"username": "yc_api", "password": "shanzhi-demo"}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    body = api.get(reverse("followup-summary", kwargs={"code": "411103000000"})).json()
    assert (body["problems"]["common"], body["problems"]["particular"], body["common_measures"]) == (44, 49, 34)
    assert body["plans"] == len(with_problem) and body["measures"]["overdue"] == Measure.objects.overdue().count()
    assert api.get(reverse("followup-problem-list")).json()["count"] == 93
    assert api.get(reverse("followup-talk-list"), {"division": "411103103000"}).json()["count"] == 9
    assert api.get(reverse("followup-adjustment-list")).json()["count"] == 60
