"""Issue 20, finding 10: the lists nested in an API answer hold only what the reader may see. A common problem (共性)
names villages across the county; a township's staff read it with their own villages only, as the page shows it.
The county's common measures list the problems they answer, and a campaign its drawn sample: scoped alike.
(tests/test_api_scope_leaks.py checks every endpoint over the demo.)"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from rest_framework.test import APIClient

from reviews.followup import services
from reviews.followup.api.serializers import ProblemSerializer
from reviews.followup.choices import ProblemKind
from reviews.services import sample_draw
from tests.factories import division
from tests.reviews.followup_data import make_followup
from villages.choices import DivisionKind, Level

PEICHENG = {"411103103201", "411103103202"}  # 梁庄村, 王庄村 (the common problem's third is 商桥镇's 郭栗庄村)


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def followup(tree, campaign):
    return make_followup(tree, campaign)


def test_a_common_problem_lists_only_the_readers_villages(tree, followup):
    api = _api(tree.users.township)
    listed = {p["id"]: p for p in api.get(reverse("followup-problem-list")).json()["results"]}
    assert set(listed[followup.common.pk]["villages"]) == PEICHENG
    detail = api.get(reverse("followup-problem-detail", args=[followup.common.pk])).json()
    assert set(detail["villages"]) == PEICHENG
    county = _api(tree.users.county).get(reverse("followup-problem-detail", args=[followup.common.pk])).json()
    assert set(county["villages"]) == PEICHENG | {"411103102201"}


def test_a_problem_created_over_the_api_answers_scoped(tree, followup, campaign):
    body = {
        "campaign": campaign.pk,
        "check_item": followup.check.pk,
        "kind": ProblemKind.COMMON,
        "title": "会议记录不全",
        "villages": sorted(PEICHENG | {"411103102201"}),
    }
    county = _api(tree.users.county).post(reverse("followup-problem-list"), body, format="json")
    assert county.status_code == 201 and len(county.json()["villages"]) == 3
    body["villages"] = sorted(PEICHENG)
    township = _api(tree.users.township).post(reverse("followup-problem-list"), body, format="json")
    assert township.status_code == 201 and set(township.json()["villages"]) == PEICHENG


def test_a_common_measure_lists_only_the_problems_the_reader_may_read(tree, followup, campaign):
    far = services.problem_create(
        actor=tree.users.county,
        campaign=campaign,
        check=followup.check,
        kind=ProblemKind.PARTICULAR,
        title="账目未公开",
        villages=[tree.guolizhuang],
    )
    measure = services.common_measure_create(
        actor=tree.users.county,
        campaign=campaign,
        title="统一规范村务公开",
        adopted_on=datetime.date(2021, 6, 1),
        problems=[followup.common, followup.particular, far],
    )
    url = reverse("followup-common-measure-detail", args=[measure.pk])
    assert set(_api(tree.users.township).get(url).json()["problems"]) == {followup.common.pk, followup.particular.pk}
    assert set(_api(tree.users.county).get(url).json()["problems"]) == {
        followup.common.pk,
        followup.particular.pk,
        far.pk,
    }


def test_a_campaigns_drawn_sample_lists_only_the_readers_villages(tree, campaign):
    division("411103102202", "许庄村", Level.VILLAGE, DivisionKind.VILLAGE, tree.shangqiao)
    sample_draw(actor=tree.users.county, campaign=campaign, share=Decimal(1), minimum=1, seed=7)
    url = reverse("reviews-campaign-detail", args=[campaign.pk])
    township = _api(tree.users.township).get(url).json()["sample"]["drawn_codes"]
    county = _api(tree.users.county).get(url).json()["sample"]["drawn_codes"]
    assert set(township) == {c for c in county if c.startswith("411103103")} and township
    assert any(not c.startswith("411103103") for c in county)


def test_a_scoped_field_without_a_reader_fails_loudly(followup):
    with pytest.raises(ImproperlyConfigured):
        ProblemSerializer(followup.common).data  # noqa: B018 (the property does the work)
