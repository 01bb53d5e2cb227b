"""The order and the visibility of the levels (自诊 → 问诊 → 回诊), post ratings on the scorecard, the county's
closing of a review, and what the scorecard tells whoever cannot change a level.

The leak test derives its URLs from the URL configuration and the API router (as tests/test_permission_matrix.py
does), so a new page or endpoint of the reviews app is covered without being listed here."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from reviews import services
from reviews.choices import Grade, LevelStatus, Stage
from reviews.grading import ScoreInput
from reviews.models import PostRating, Review
from tests.reviews.conftest import fill, full_marks, level_of

TOWNSHIP_NOTE = "乡镇问诊备注甲乙丙"
TOWNSHIP_EVALUATION = "研判会初步评价甲乙丙"
COUNTY_NOTE = "县级回诊备注甲乙丙"
RATING_NOTE = "岗位履职评语甲乙丙"
SECRETS = (TOWNSHIP_NOTE, TOWNSHIP_EVALUATION, COUNTY_NOTE, RATING_NOTE, "63.5", "13.5")


def _township_entries(template):
    first = template.items.get(number=1)
    return full_marks(template, {first.number: ScoreInput(score=Decimal("13.5"), note=TOWNSHIP_NOTE)})


@pytest.fixture
def open_review(tree, reviews):
    """梁庄村: self-diagnosis submitted (100), the township's diagnosis submitted (73.5, with a note, a first
    evaluation and a post rated 一般 with a note), the county's re-diagnosis in draft (63.5 with a note)."""
    review = reviews.liangzhuang
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    template = review.campaign.template
    township = level_of(review, Stage.TOWNSHIP)
    posts = list(services.current_posts(review).values_list("pk", flat=True))
    ratings = dict.fromkeys(posts, (Grade.GOOD, ""))
    ratings[posts[0]] = (Grade.AVERAGE, RATING_NOTE)
    township = services.review_level_save_draft(
        actor=tree.users.township,
        level=township,
        scores=_township_entries(template),
        expected_version=township.version,
        onsite={"first_evaluation": TOWNSHIP_EVALUATION},
        ratings=ratings,
    )
    services.review_level_submit(actor=tree.users.township, level=township, expected_version=township.version)
    services.sample_draw(actor=tree.users.county, campaign=review.campaign, share=Decimal(1), seed=1)
    county = level_of(review, Stage.COUNTY)
    first = template.items.get(number=1)
    entries = full_marks(template, {first.number: ScoreInput(score=Decimal("3.5"), note=COUNTY_NOTE)})
    services.review_level_save_draft(actor=tree.users.county, level=county, scores=entries, expected_version=0)
    return Review.objects.get(pk=review.pk)


# The order of the levels


def test_the_township_diagnosis_opens_with_the_submitted_self_diagnosis(tree, reviews):
    review = reviews.liangzhuang
    township = level_of(review, Stage.TOWNSHIP)
    with pytest.raises(ValidationError, match="opens when the village has submitted"):
        fill(township, tree.users.township, submit=False)
    assert level_of(review, Stage.TOWNSHIP).version == 0  # nothing saved
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    assert fill(level_of(review, Stage.TOWNSHIP), tree.users.township).status == LevelStatus.SUBMITTED


def test_the_county_may_open_the_township_diagnosis_early_recorded(tree, reviews):
    review = reviews.liangzhuang
    with pytest.raises(ValidationError, match="Give the reason"):
        services.review_township_open_early(actor=tree.users.county, review=review, reason=" ")
    with pytest.raises(Exception):  # noqa: B017 - the township may not open its own level early (403)
        services.review_township_open_early(actor=tree.users.township, review=review, reason="走访在即")
    opened = services.review_township_open_early(actor=tree.users.county, review=review, reason="汛期前须完成走访")
    assert opened.township_opened_early_by == tree.users.county
    assert opened.history.first().history_change_reason == "汛期前须完成走访"
    saved = fill(level_of(review, Stage.TOWNSHIP), tree.users.township, submit=False)
    assert saved.version == 1
    with pytest.raises(ValidationError, match="Village self-diagnosis must be submitted first"):
        services.review_level_submit(actor=tree.users.township, level=saved, expected_version=saved.version)


def test_the_township_submit_checks_every_post_rating_with_the_rest(tree, reviews):
    review = reviews.liangzhuang
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    township = level_of(review, Stage.TOWNSHIP)
    township = services.review_level_save_draft(
        actor=tree.users.township,
        level=township,
        scores=_township_entries(review.campaign.template),
        expected_version=0,
    )
    with pytest.raises(ValidationError) as exc:
        services.review_level_submit(actor=tree.users.township, level=township, expected_version=township.version)
    posts = list(services.current_posts(review).values_list("pk", flat=True))
    assert {f"rating_{pk}" for pk in posts} <= set(exc.value.message_dict)
    assert "first_evaluation" in exc.value.message_dict
    assert level_of(review, Stage.TOWNSHIP).status == LevelStatus.DRAFT


def test_ratings_saved_with_the_scorecard_are_checked_field_by_field(tree, reviews):
    review = reviews.liangzhuang
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    post = services.current_posts(review).first()
    township = level_of(review, Stage.TOWNSHIP)
    with pytest.raises(ValidationError) as exc:
        services.review_level_save_draft(
            actor=tree.users.township, level=township, scores={}, expected_version=0, ratings={post.pk: ("poor", "")}
        )
    assert exc.value.message_dict == {f"rating_{post.pk}": ["Say why when rating a post Average or Poor."]}
    assert not PostRating.objects.filter(review=review).exists()
    services.review_level_save_draft(
        actor=tree.users.township,
        level=township,
        scores={},
        expected_version=0,
        ratings={post.pk: ("poor", "长期不在岗")},
    )
    rating = PostRating.objects.get(review=review, post=post)
    assert (rating.grade, rating.note, rating.rated_by) == ("poor", "长期不在岗", tree.users.township)
    assert rating.history.count() == 1


# Closing


def test_closing_needs_the_levels_done_and_locks_them(tree, open_review):
    with pytest.raises(ValidationError, match="county re-diagnosis first"):
        services.review_close(actor=tree.users.county, review=open_review)
    county = level_of(open_review, Stage.COUNTY)
    services.review_level_submit(actor=tree.users.county, level=county, expected_version=county.version)
    with pytest.raises(Exception):  # noqa: B017 - the township does not close (403)
        services.review_close(actor=tree.users.township, review=open_review)
    closed = services.review_close(actor=tree.users.county, review=open_review)
    assert closed.closed_by == tree.users.county and closed.is_closed
    with pytest.raises(ValidationError, match="closed by the county"):
        services.review_level_reopen(actor=tree.users.county, level=level_of(open_review, Stage.COUNTY), reason="再看")
    with pytest.raises(ValidationError, match="already closed"):
        services.review_close(actor=tree.users.county, review=open_review)


def test_the_campaign_closes_its_ready_reviews_in_one_go(tree, reviews, django_assert_max_num_queries):
    fill(level_of(reviews.liangzhuang, Stage.VILLAGE), tree.users.village)
    campaign = reviews.liangzhuang.campaign
    fill(level_of(reviews.liangzhuang, Stage.TOWNSHIP), tree.users.township)
    with django_assert_max_num_queries(12):
        closed = services.campaign_close_ready(actor=tree.users.county, campaign=campaign)
    assert closed == 1
    assert set(Review.objects.filter(closed_at__isnull=False).values_list("pk", flat=True)) == {reviews.liangzhuang.pk}


# The village never reads the township's or the county's level of its open review


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), (f"{namespace}:{p.name}" if namespace and p.name else p.name), p


REDIRECTS = set()  # no reviews GET answers with a redirect to a signed-in reader


def _review_routes():
    """Every GET-able route of the reviews app (pages and API), from the URL configuration."""
    found = {}
    for _route, name, pattern in _walk(get_resolver().url_patterns):
        if not name or "format" in pattern.pattern.regex.groupindex:
            continue
        if (name.startswith("reviews:") and not name.startswith("reviews:followup")) or name.startswith(
            ("reviews-", "stats-reviews")
        ):
            found.setdefault(name, pattern)
    return found


def _urls_for(name, pattern, review, levels, village_code):
    groups = set(pattern.pattern.regex.groupindex)
    if not groups:
        return [reverse(name)]
    if groups == {"code"}:
        return [reverse(name, kwargs={"code": code}) for code in (village_code, village_code[:9] + "000")]
    if groups == {"pk", "level"}:
        return [reverse(name, kwargs={"pk": review.pk, "level": stage}) for stage in levels]
    if groups == {"pk"}:
        pks = {review.pk, review.campaign_id, review.campaign.template_id, *levels.values()}
        return [reverse(name, kwargs={"pk": pk}) for pk in sorted(pks)]
    raise AssertionError(f"add the URL kwargs of {name}: {groups}")


def _text(response) -> str:
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        return " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value is not None)
    return response.content.decode("utf-8", "replace")


def test_a_village_user_reads_no_upper_level_of_its_open_review_anywhere(tree, open_review):
    levels = {lv.level: lv.pk for lv in open_review.levels.all()}
    routes = _review_routes()
    assert {"reviews:level", "reviews:review", "reviews:ledger", "reviews-level-detail", "stats-reviews"} <= set(routes)
    api = APIClient()
    api.force_login(tree.users.village)  # a session: the pages and the API alike
    visited = 0
    for name, pattern in sorted(routes.items()):
        for url in _urls_for(name, pattern, open_review, levels, open_review.village.code):
            query = {"campaign": open_review.campaign_id, "division": open_review.village.code, "page_size": 500}
            response = api.get(url, query)
            if response.status_code == 405:
                continue  # a write-only action
            assert response.status_code != 302 or name in REDIRECTS, (name, url, response.status_code)
            visited += 1
            text = _text(response)
            for secret in SECRETS:
                assert secret not in text, (name, url, secret)
            if name.startswith("reviews:level") and ("township" in url or "county" in url):
                assert response.status_code == 404, (name, url)
    assert visited > 25
    # The API's lists hold the village's own level only.
    rows = api.get(reverse("reviews-level-list")).json()["results"]
    assert {row["level"] for row in rows} == {Stage.VILLAGE}
    review = api.get(reverse("reviews-review-detail", args=[open_review.pk])).json()
    assert [lv["level"] for lv in review["levels"]] == [Stage.VILLAGE]
    assert review["final_grade"] == "" and review["post_ratings"] == []


def test_after_the_close_the_village_reads_every_level(client, tree, open_review):
    county = level_of(open_review, Stage.COUNTY)
    services.review_level_submit(actor=tree.users.county, level=county, expected_version=county.version)
    services.review_close(actor=tree.users.county, review=open_review)
    client.force_login(tree.users.village)
    page = client.get(reverse("reviews:level", args=[open_review.pk, Stage.TOWNSHIP]))
    assert page.status_code == 200 and TOWNSHIP_NOTE in page.content.decode()
    detail = client.get(reverse("reviews:review", args=[open_review.pk])).content.decode()
    assert RATING_NOTE in detail


def test_the_township_reads_the_self_diagnosis_only_once_submitted(client, tree, reviews):
    review = reviews.liangzhuang
    village = level_of(review, Stage.VILLAGE)
    entries = full_marks(review.campaign.template)
    first = review.campaign.template.items.get(number=1)
    entries[first.pk] = ScoreInput(score=Decimal(30), note="村自评草稿甲乙丙")
    services.review_level_save_draft(actor=tree.users.village, level=village, scores=entries, expected_version=0)
    client.force_login(tree.users.township)
    url = reverse("reviews:level", args=[review.pk, Stage.VILLAGE])
    assert client.get(url).status_code == 404
    assert "村自评草稿甲乙丙" not in client.get(reverse("reviews:compare", args=[review.pk])).content.decode()
    village = level_of(review, Stage.VILLAGE)
    services.review_level_submit(actor=tree.users.village, level=village, expected_version=village.version)
    assert "村自评草稿甲乙丙" in client.get(url).content.decode()


# The scorecard page


def test_the_page_says_whom_to_ask_and_shows_the_return_reason(client, tree, open_review):
    client.force_login(tree.users.township)
    page = client.get(reverse("reviews:level", args=[open_review.pk, Stage.TOWNSHIP])).content.decode()
    assert 'data-testid="who-may-change"' in page
    with_zh = client.get(
        reverse("reviews:level", args=[open_review.pk, Stage.TOWNSHIP]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "乡镇问诊已提交：如需修改，请联系县委组织部退回" in with_zh
    county = level_of(open_review, Stage.COUNTY)
    # The county returns the township's level while its own is still a draft.
    services.review_level_return(
        actor=tree.users.county, level=level_of(open_review, Stage.TOWNSHIP), reason="第1项扣分依据不足"
    )
    assert county.status == LevelStatus.DRAFT
    page = client.get(reverse("reviews:level", args=[open_review.pk, Stage.TOWNSHIP])).content.decode()
    assert 'data-testid="banner-returned"' in page and "第1项扣分依据不足" in page


def test_a_failed_submit_lists_every_problem_with_its_anchor(client, tree, reviews, django_assert_max_num_queries):
    review = reviews.liangzhuang
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    template = review.campaign.template
    first = template.items.get(number=1)
    township = level_of(review, Stage.TOWNSHIP)
    services.review_level_save_draft(
        actor=tree.users.township,
        level=township,
        scores=full_marks(template, {1: ScoreInput(score=Decimal(20))}),
        expected_version=0,
    )
    client.force_login(tree.users.township)
    response = client.post(reverse("reviews:level_submit", args=[review.pk, Stage.TOWNSHIP]), {"version": 1})
    assert response.status_code == 400
    page = response.content.decode()
    summary = page[page.index('data-testid="error-summary"') : page.index("</ul>", page.index("error-summary"))]
    assert f'href="#item-{first.pk}"' in summary
    assert 'href="#id_first_evaluation"' in summary
    for pk in services.current_posts(review).values_list("pk", flat=True):
        assert f'href="#rating-{pk}"' in summary and f'id="rating-{pk}"' in page
    with django_assert_max_num_queries(30):
        assert client.get(reverse("reviews:level", args=[review.pk, Stage.TOWNSHIP])).status_code == 200


def test_the_scorecard_saves_post_ratings_with_the_items(client, tree, reviews):
    review = reviews.liangzhuang
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    template = review.campaign.template
    client.force_login(tree.users.township)
    data = {"version": 0, "first_evaluation": "班子团结"}
    for item in template.items.all():
        data[f"passed_{item.pk}" if item.is_pass_fail else f"score_{item.pk}"] = (
            "1" if item.is_pass_fail else str(item.max_points)
        )
    posts = list(services.current_posts(review).values_list("pk", flat=True))
    for pk in posts:
        data[f"rating_{pk}"] = "good"
        data[f"rating_note_{pk}"] = ""
    response = client.post(reverse("reviews:level_save", args=[review.pk, Stage.TOWNSHIP]), data)
    assert response.status_code == 302
    assert PostRating.objects.filter(review=review, grade="good").count() == len(posts)
    response = client.post(reverse("reviews:level_submit", args=[review.pk, Stage.TOWNSHIP]), {"version": 1})
    assert response.status_code == 302
    assert level_of(review, Stage.TOWNSHIP).status == LevelStatus.SUBMITTED
