"""The reviews API: reads, writes through the same services as the browser (same rules, same errors), and the
statistics checked against a count made directly from the tables."""

from collections import Counter
from decimal import Decimal

from django.urls import reverse
from rest_framework.test import APIClient

from reviews import services
from reviews.choices import Grade, LevelStatus, Stage
from reviews.grading import ScoreInput
from reviews.models import Review, ReviewLevel
from tests.reviews.conftest import fill, full_marks, level_of
from villages.services import api_token_create


def api_for(user, token=False):
    client = APIClient()
    if token:
        _token, raw = api_token_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    else:
        client.force_authenticate(user)
    return client


def test_templates_with_their_structure(tree, full_template):
    client = api_for(tree.users.api, token=True)
    listing = client.get(reverse("reviews-template-list")).json()
    assert listing["count"] == 1 and listing["results"][0]["in_use"] is False
    body = client.get(reverse("reviews-template-detail", args=[full_template.pk])).json()
    assert body["checks"][0]["name"] == "查班子成员"
    assert sum(len(e["items"]) for c in body["checks"] for e in c["elements"]) == 71
    assert len(body["vetoes"]) == full_template.vetoes.count()


def test_campaigns_reviews_and_levels(tree, reviews):
    fill(level_of(reviews.liangzhuang, Stage.VILLAGE), tree.users.village)
    client = api_for(tree.users.api, token=True)
    campaigns = client.get(reverse("reviews-campaign-list")).json()["results"]
    assert [(c["division"], c["review_count"], c["sample"]) for c in campaigns] == [("411103000000", 3, None)]
    listing = client.get(reverse("reviews-review-list"), {"division": "411103103000"}).json()
    assert {r["village_name"] for r in listing["results"]} == {"梁庄村", "王庄村"}
    detail = client.get(reverse("reviews-review-detail", args=[reviews.liangzhuang.pk])).json()
    village = next(lv for lv in detail["levels"] if lv["level"] == "village")
    assert (village["status"], village["grade"], village["total_score"]) == ("submitted", "good", "100.0")
    level = client.get(reverse("reviews-level-detail", args=[village["id"]])).json()
    assert len(level["scores"]) == 5 and level["submitted_by"] == "t_village"
    pending = client.get(reverse("reviews-review-list"), {"final_grade": "pending"}).json()
    assert pending["count"] == 3


def test_write_scores_and_submit_through_the_api(tree, reviews):
    level = level_of(reviews.liangzhuang, Stage.VILLAGE)
    template = reviews.liangzhuang.campaign.template
    items = {i.number: i for i in template.items.all()}
    client = api_for(tree.users.village, token=True)
    url = reverse("reviews-level-scores", args=[level.pk])
    body = {
        "version": 0,
        "scores": [
            {"item": items[1].pk, "score": "35", "note": "年龄结构偏大"},
            {"item": items[2].pk, "passed": True},
            {"item": items[3].pk, "score": "30"},
        ],
    }
    response = client.post(url, body, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["version"], response.json()["total_score"], response.json()["scored_count"]) == (
        1,
        "75.0",
        3,
    )
    # The same rules as the browser: a score out of range is refused beside its item, and nothing is saved.
    bad = client.post(url, {"version": 1, "scores": [{"item": items[4].pk, "score": "11"}]}, format="json")
    assert bad.status_code == 400
    assert list(bad.json()) == [f"item_{items[4].pk}"]
    # A stale version is refused with the message a person can act on.
    stale = client.post(url, {"version": 0, "scores": [{"item": items[4].pk, "score": "10"}]}, format="json")
    assert stale.status_code == 400 and "version" in stale.json()
    incomplete = client.post(reverse("reviews-level-submit", args=[level.pk]), {"version": 1}, format="json")
    assert incomplete.status_code == 400
    assert set(incomplete.json()) == {f"item_{items[4].pk}", f"item_{items[5].pk}"}
    rest = {"version": 1, "scores": [{"item": items[4].pk, "score": "10"}, {"item": items[5].pk, "score": "10"}]}
    assert client.post(url, rest, format="json").status_code == 200
    done = client.post(reverse("reviews-level-submit", args=[level.pk]), {"version": 2}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "submitted"


def test_api_errors_by_role_and_scope(tree, more_users, reviews):
    level = level_of(reviews.liangzhuang, Stage.VILLAGE)
    body = {"version": 0, "scores": []}
    url = reverse("reviews-level-scores", args=[level.pk])
    assert api_for(tree.users.api, token=True).post(url, body, format="json").status_code == 403  # read-only
    # Not its level, and a self-diagnosis in draft is not the township's to read (reviews.visibility): 404.
    assert api_for(tree.users.township).post(url, body, format="json").status_code == 404
    assert api_for(more_users.shangqiao).post(url, body, format="json").status_code == 404  # out of scope
    assert api_for(tree.users.grid).get(reverse("reviews-level-detail", args=[level.pk])).status_code == 403
    fill(level, tree.users.village)
    ret = reverse("reviews-level-return", args=[level.pk])
    assert api_for(tree.users.township).post(ret, {}, format="json").status_code == 400  # no reason
    response = api_for(tree.users.township).post(ret, {"reason": "自评偏高"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "returned"
    reopen = api_for(tree.users.township).post(
        reverse("reviews-level-reopen", args=[level.pk]), {"reason": "x"}, format="json"
    )
    assert reopen.status_code == 404  # returned, the self-diagnosis is the village's again: not the township's to read


def _direct_counts(campaign, prefix):
    """The oracle: walk the rows one by one."""
    final = Counter()
    levels = {stage: Counter() for stage in Stage.values}
    for review in Review.objects.filter(campaign=campaign).select_related("village"):
        if review.village.code.startswith(prefix):
            final[review.final_grade or "pending"] += 1
    for level in ReviewLevel.objects.filter(review__campaign=campaign).select_related("review__village"):
        if level.review.village.code.startswith(prefix):
            levels[level.level][level.grade if level.status == LevelStatus.SUBMITTED else "pending"] += 1
    return final, levels


def _assert_block(block, final, levels):
    for key in [*Grade.values, "pending"]:
        assert block["final"][key] == final[key], key
        for stage in Stage.values:
            assert block["levels"][stage][key] == levels[stage][key], (stage, key)
    assert block["final"]["total"] == sum(final.values())


def test_stats_match_a_direct_count(tree, reviews, django_assert_max_num_queries):
    campaign = reviews.liangzhuang.campaign
    template = campaign.template
    services.sample_draw(actor=tree.users.county, campaign=campaign, share=Decimal(1), seed=5)
    fill(level_of(reviews.liangzhuang, Stage.VILLAGE), tree.users.village)
    fill(
        level_of(reviews.liangzhuang, Stage.TOWNSHIP),
        tree.users.township,
        full_marks(template, {1: ScoreInput(score=Decimal(25), note="不足")}),
    )
    fill(
        level_of(reviews.liangzhuang, Stage.COUNTY),
        tree.users.county,
        full_marks(template, {2: ScoreInput(passed=False, note="存在负面清单情形")}),
    )
    from tests.factories import scoped_user
    from villages.choices import Role

    wang = scoped_user("t_wang", tree.wangzhuang, Role.VILLAGE_SECRETARY)
    fill(
        level_of(reviews.wangzhuang, Stage.VILLAGE),
        wang,
        full_marks(template, {1: ScoreInput(score=Decimal(10), note="不足")}),
    )
    fill(
        level_of(reviews.wangzhuang, Stage.TOWNSHIP),
        tree.users.township,
        full_marks(template, {1: ScoreInput(score=Decimal(20), note="不足")}),
    )
    client = api_for(tree.users.api, token=True)
    url = reverse("stats-reviews")
    with django_assert_max_num_queries(12):
        body = client.get(url, {"division": tree.yc.code, "campaign": campaign.pk}).json()
    _assert_block(body["division"], *_direct_counts(campaign, "411103"))
    by_code = {child["code"]: child for child in body["children"]}
    assert set(by_code) == {tree.peicheng.code, tree.shangqiao.code}
    _assert_block(by_code[tree.peicheng.code], *_direct_counts(campaign, "411103103"))
    _assert_block(by_code[tree.shangqiao.code], *_direct_counts(campaign, "411103102"))
    assert body["division"]["final"]["poor"] == 1  # 梁庄村: the county's veto
    assert body["division"]["final"]["fairly_good"] == 1  # 王庄村: 80 at the township
    assert body["division"]["final"]["pending"] == 1  # 郭栗庄村
    township = client.get(url, {"division": tree.peicheng.code, "campaign": campaign.pk}).json()
    assert [c["name"] for c in township["children"]] == ["梁庄村", "王庄村"]
    village = client.get(url, {"division": tree.liangzhuang.code, "campaign": campaign.pk}).json()
    assert village["children"] == [] and village["division"]["final"]["poor"] == 1


def test_stats_scope_and_errors(tree, more_users, reviews, wj_campaign):
    campaign = reviews.liangzhuang.campaign
    url = reverse("stats-reviews")
    own = {"division": tree.peicheng.code, "campaign": campaign.pk}
    assert api_for(tree.users.township).get(url, own).status_code == 200
    assert api_for(tree.users.township).get(url, {**own, "division": tree.yc.code}).status_code == 404
    assert api_for(more_users.shangqiao).get(url, own).status_code == 404
    assert api_for(tree.users.petition).get(url, {**own, "division": tree.yc.code}).status_code == 404
    assert api_for(tree.users.grid).get(url, {**own, "division": tree.liangzhuang.code}).status_code == 403
    assert api_for(tree.users.api).get(url, {**own, "campaign": wj_campaign.pk}).status_code == 404
    assert api_for(more_users.admin).get(url, {**own, "campaign": wj_campaign.pk}).status_code == 400
    missing = api_for(tree.users.api).get(url, {})
    assert missing.status_code == 400 and set(missing.json()) == {"division", "campaign"}
    assert APIClient().get(url, own).status_code == 401


def test_the_reviews_schema_builds_without_warnings(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--fail-on-warn", "--validate", "--urlconf", "tests.reviews.schema_urls", "--file", str(out)
    )
    text = out.read_text()
    assert "/api/v1/stats/reviews/" in text and "/api/v1/reviews/levels/{id}/scores/" in text


def test_admin_pages_load(client, tree, more_users, reviews):
    from django.contrib import admin

    from reviews import models

    client.force_login(more_users.admin)
    for model in (
        models.ScorecardTemplate,
        models.Item,
        models.VetoRule,
        models.Campaign,
        models.Review,
        models.ReviewLevel,
        models.PostRating,
        models.SampleDraw,
    ):
        assert model in admin.site._registry
        meta = model._meta
        assert client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")).status_code == 200, model
    level = level_of(reviews.liangzhuang, Stage.VILLAGE)
    assert client.get(reverse("admin:reviews_reviewlevel_change", args=[level.pk])).status_code == 200
