"""The pages: the scorecard form (htmx drafts, per-item messages, conflicts), the board, the comparison, the
printable scorecard, the ledger, and the county's pages (campaigns, sample, templates)."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reviews import services
from reviews.choices import Grade, LevelStatus, ScoringRule, Stage, TemplateStatus
from reviews.grading import ScoreInput
from reviews.models import Campaign, PostRating, Review, SampleDraw, ScorecardTemplate
from tests.reviews.conftest import fill, full_marks, level_of, make_small_template

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _english_pages(settings):
    settings.LANGUAGE_CODE = "en"


def form_data(template, version, overrides=None, **extra):
    data = {"version": str(version)}
    for item in template.items.order_by("number"):
        value = (overrides or {}).get(item.number)
        if item.is_pass_fail:
            data[f"passed_{item.pk}"] = "1" if value is None else value
        else:
            data[f"score_{item.pk}"] = str(item.max_points) if value is None else value
        data[f"note_{item.pk}"] = ""
    data.update(extra)
    return data


def test_saving_a_draft_with_htmx_returns_the_form(client, tree, reviews):
    review = reviews.liangzhuang
    template = review.campaign.template
    client.force_login(tree.users.village)
    url = reverse("reviews:level_save", args=[review.pk, Stage.VILLAGE])
    response = client.post(url, form_data(template, 0, {1: "30"}), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="scorecard"') and "<html" not in html
    assert "Draft saved" in html and "version 1" in html
    assert "Add a note before submitting" in html  # the deduction on item 1 has no note yet
    level = level_of(review, Stage.VILLAGE)
    assert (level.version, level.total_score, level.grade) == (1, Decimal(90), Grade.GOOD)


def test_invalid_entries_are_shown_beside_their_item_and_nothing_is_saved(client, tree, reviews):
    review = reviews.liangzhuang
    template = review.campaign.template
    first, third = template.items.get(number=1), template.items.get(number=3)
    client.force_login(tree.users.village)
    url = reverse("reviews:level_save", args=[review.pk, Stage.VILLAGE])
    response = client.post(url, form_data(template, 0, {1: "45", 3: "abc"}), **HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="item-{first.pk}-msg"' in html
    item_block = html[html.index(f'id="item-{first.pk}"') : html.index(f'id="item-{first.pk + 1}"')]
    assert "Enter a number" not in item_block
    third_block = html[html.index(f'id="item-{third.pk}"') : html.index(f'id="item-{third.pk + 1}"')]
    assert "Enter a number of points" in third_block and 'value="abc"' in third_block
    assert level_of(review, Stage.VILLAGE).version == 0
    # Once the number is a number, the range rule answers beside item 1.
    response = client.post(url, form_data(template, 0, {1: "45"}), **HTMX)
    html = response.content.decode()
    block = html[html.index(f'id="item-{first.pk}"') : html.index(f'id="item-{first.pk + 1}"')]
    assert response.status_code == 400 and "Give between 0 and 40 points" in block and 'value="45"' in block


def test_each_item_input_is_checked_as_a_text_or_choice_field_would_be(client, tree, reviews):
    review = reviews.liangzhuang
    template = review.campaign.template
    first, third = template.items.get(number=1), template.items.get(number=3)
    check = template.items.get(rule=ScoringRule.PASS_FAIL)
    client.force_login(tree.users.village)
    url = reverse("reviews:level_save", args=[review.pk, Stage.VILLAGE])
    data = form_data(template, 0, {1: "  12345678901 ", 3: "1\x00"}, **{f"passed_{check.pk}": "maybe"})
    data[f"note_{first.pk}"] = "长" * 2001
    response = client.post(url, data, **HTMX)
    assert response.status_code == 400
    html = response.content.decode()

    def block(item):
        start = html.index(f'id="item-{item.pk}"')
        return html[start : html.find("data-item=", start + 20)]

    assert "at most 10 characters (it has 11)" in block(first)  # stripped first, as CharField does
    assert "at most 2000 characters (it has 2001)" in block(first)
    assert "Null characters are not allowed" in block(third)
    assert "Select a valid choice. maybe is not one of the available choices." in block(check)
    assert level_of(review, Stage.VILLAGE).version == 0
    # Blank inputs and missing ones are allowed in a draft.
    data = form_data(template, 0)
    del data[f"passed_{check.pk}"], data[f"note_{third.pk}"]
    data[f"score_{first.pk}"] = "   "
    assert client.post(url, data, **HTMX).status_code == 200
    assert level_of(review, Stage.VILLAGE).scores.get(item=first).score is None


def test_a_conflict_keeps_what_was_typed_and_offers_to_save_over(client, tree, reviews):
    review = reviews.liangzhuang
    template = review.campaign.template
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    services.review_level_save_draft(
        actor=tree.users.township,
        level=level_of(review, Stage.TOWNSHIP),
        scores=full_marks(template),
        expected_version=0,
    )
    client.force_login(tree.users.township)
    url = reverse("reviews:level_save", args=[review.pk, Stage.TOWNSHIP])
    mine = form_data(template, 0, {1: "22"}, first_evaluation="我的评价")
    response = client.post(url, mine, **HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert "after you opened it" in html and 'value="22"' in html and "我的评价" in html
    assert 'name="overwrite_version" value="1"' in html
    assert level_of(review, Stage.TOWNSHIP).total_score == 100  # theirs stands
    response = client.post(url, {**mine, "overwrite_version": "1"}, **HTMX)
    assert response.status_code == 200
    level = level_of(review, Stage.TOWNSHIP)
    assert (level.total_score, level.first_evaluation, level.version) == (Decimal(82), "我的评价", 2)


def test_without_htmx_a_save_redirects(client, tree, reviews):
    review = reviews.liangzhuang
    client.force_login(tree.users.village)
    url = reverse("reviews:level_save", args=[review.pk, Stage.VILLAGE])
    response = client.post(url, form_data(review.campaign.template, 0))
    assert response.status_code == 302 and response["Location"] == level_of(review, Stage.VILLAGE).get_absolute_url()


def test_submitting_from_the_page(client, tree, reviews):
    review = reviews.liangzhuang
    template = review.campaign.template
    client.force_login(tree.users.village)
    page = client.get(reverse("reviews:level", args=[review.pk, Stage.VILLAGE])).content.decode()
    assert 'id="submit-form"' in page and "data-confirm=" in page and 'form="submit-form"' in page
    assert "<script>" not in page  # no inline script: the scorecard's behaviour lives in static files
    client.post(reverse("reviews:level_save", args=[review.pk, Stage.VILLAGE]), form_data(template, 0, {1: "30"}))
    submit = reverse("reviews:level_submit", args=[review.pk, Stage.VILLAGE])
    refused = client.post(submit, {"version": "1"})
    assert refused.status_code == 400
    assert "A deduction needs a note" in refused.content.decode()
    note = form_data(template, 1, {1: "30"}) | {f"note_{template.items.get(number=1).pk}": "35岁以下成员缺"}
    client.post(reverse("reviews:level_save", args=[review.pk, Stage.VILLAGE]), note)
    response = client.post(submit, {"version": "2"}, follow=True)
    assert response.redirect_chain[-1][0] == level_of(review, Stage.VILLAGE).get_absolute_url()
    assert level_of(review, Stage.VILLAGE).status == LevelStatus.SUBMITTED
    html = response.content.decode()
    assert 'data-testid="locked"' in html and 'name="score_' not in html  # read-only now


def test_return_and_reopen_from_the_review_page(client, tree, reviews):
    review = reviews.liangzhuang
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    client.force_login(tree.users.township)
    page = client.get(reverse("reviews:review", args=[review.pk])).content.decode()
    assert reverse("reviews:level_return", args=[review.pk, Stage.VILLAGE]) in page
    client.post(reverse("reviews:level_return", args=[review.pk, Stage.VILLAGE]), {"reason": "自评偏高"})
    assert level_of(review, Stage.VILLAGE).status == LevelStatus.RETURNED
    client.force_login(tree.users.village)
    page = client.get(reverse("reviews:level", args=[review.pk, Stage.VILLAGE])).content.decode()
    assert "自评偏高" in page and 'name="score_' in page  # editable again, the reason shown


def test_pages_of_imported_levels_name_nobody(client, tree, reviews):
    """Levels loaded from a ledger (or the demo) have no author; the pages say so instead of failing."""
    review = reviews.liangzhuang
    level = fill(level_of(review, Stage.VILLAGE), tree.users.village)
    type(level).objects.filter(pk=level.pk).update(updated_by=None, submitted_by=None)
    client.force_login(tree.users.township)
    for url in (
        reverse("reviews:review", args=[review.pk]),
        reverse("reviews:level", args=[review.pk, Stage.VILLAGE]),
        reverse("reviews:board", args=[tree.peicheng.code]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "Submitted by — on" in client.get(reverse("reviews:level", args=[review.pk, Stage.VILLAGE])).content.decode()
    assert "imported" in client.get(reverse("reviews:board", args=[tree.peicheng.code])).content.decode()


def test_post_ratings(client, tree, reviews):
    review = reviews.liangzhuang
    client.force_login(tree.users.township)
    url = reverse("reviews:post_rating", args=[review.pk])
    client.post(url, {"post": tree.secretary.pk, "grade": Grade.AVERAGE, "note": ""})
    assert not PostRating.objects.exists()  # Average needs a note
    client.post(url, {"post": tree.secretary.pk, "grade": Grade.AVERAGE, "note": "坐班不经常"})
    client.post(url, {"post": tree.other.pk, "grade": Grade.GOOD})  # 郭栗庄村's post: refused
    rating = PostRating.objects.get()
    assert (rating.post, rating.grade, rating.rated_by) == (tree.secretary, Grade.AVERAGE, tree.users.township)
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    fill(level_of(review, Stage.TOWNSHIP), tree.users.township)
    # The scorecard rated every post holder with the diagnosis (Good, in ``fill``); submitted, it is locked.
    assert PostRating.objects.get(post=tree.secretary).grade == Grade.GOOD
    client.post(url, {"post": tree.secretary.pk, "grade": Grade.POOR, "note": "不在岗"})
    assert PostRating.objects.get(post=tree.secretary).grade == Grade.GOOD


def test_board_filters_and_progress(client, tree, reviews, django_assert_max_num_queries):
    fill(level_of(reviews.liangzhuang, Stage.VILLAGE), tree.users.village)
    client.force_login(tree.users.county)
    url = reverse("reviews:board", args=[tree.yc.code])
    html = client.get(url).content.decode()
    assert 'data-testid="submitted-village">1<' in html
    for name in ("梁庄村", "王庄村", "郭栗庄村"):
        assert name in html
    rows = client.get(url, {"stage": Stage.VILLAGE, "status": LevelStatus.SUBMITTED}, **HTMX).content.decode()
    assert "梁庄村" in rows and "王庄村" not in rows and "<html" not in rows
    rows = client.get(url, {"q": "郭"}, **HTMX).content.decode()
    assert "郭栗庄村" in rows and "梁庄村" not in rows
    township = client.get(reverse("reviews:board", args=[tree.peicheng.code])).content.decode()
    assert "郭栗庄村" not in township and "王庄村" in township
    division_page = client.get(reverse("villages:division", args=[tree.peicheng.code])).content.decode()
    assert reverse("reviews:board", args=[tree.peicheng.code]) in division_page  # the division's tab


def test_compare_and_gaps(client, tree, reviews):
    review = reviews.liangzhuang
    template = review.campaign.template
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    fill(
        level_of(review, Stage.TOWNSHIP),
        tree.users.township,
        full_marks(template, {1: ScoreInput(score=Decimal(33), note="偏高")}),
    )
    client.force_login(tree.users.county)
    html = client.get(reverse("reviews:compare", args=[review.pk])).content.decode()
    assert 'data-testid="total-village">100<' in html and 'data-testid="total-township">93<' in html
    assert 'data-testid="township-gap">+7<' in html
    gaps = client.get(reverse("reviews:gaps", args=[tree.yc.code])).content.decode()
    assert 'data-division="411103103000"' in gaps and "+7" in gaps


def test_printable_scorecard(client, tree, reviews):
    review = reviews.liangzhuang
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    client.force_login(tree.users.township)
    html = client.get(reverse("reviews:level_print", args=[review.pk, Stage.VILLAGE])).content.decode()
    assert "测试考察表" in html and 'data-testid="print-total">100<' in html and "data-print" in html


def test_campaign_ledger(client, tree, reviews):
    fill(level_of(reviews.liangzhuang, Stage.VILLAGE), tree.users.village)
    fill(level_of(reviews.liangzhuang, Stage.TOWNSHIP), tree.users.township)
    client.force_login(tree.users.township)
    response = client.get(reverse("reviews:ledger", args=[tree.peicheng.code]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert [r[1] for r in body] == ["梁庄村", "王庄村"]  # the township's villages only
    row = dict(zip(header, body[0], strict=True))
    assert (row["自诊状态"], row["自诊总分"], row["自诊等次"]) == ("已提交", 100, "好")
    assert (row["问诊总分"], row["最终等次"], row["定等层级"]) == (100, "好", "问诊")
    assert row["问诊-查班子成员"] == 50 and row["回诊状态"] == "未开展"


def test_county_creates_a_campaign_and_draws_its_sample(client, tree, small_template):
    client.force_login(tree.users.county)
    url = reverse("reviews:campaign_create", args=[tree.yc.code])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"name": "2024年回头看", "template": small_template.pk, "start_date": "2024-03-01", "end_date": "2024-06-30"},
    )
    campaign = Campaign.objects.get(name="2024年回头看")
    assert response["Location"] == campaign.get_absolute_url()
    assert campaign.reviews.count() == 3
    client.post(reverse("reviews:sample_draw", args=[campaign.pk]), {"share": "0.5", "minimum": "1", "seed": "11"})
    draw = SampleDraw.objects.get(campaign=campaign)
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert 'data-testid="verified"' in page and "random.Random(11)" in page
    assert Review.objects.filter(campaign=campaign, sampled=True).count() == len(draw.drawn_codes)


def test_template_pages(client, tree, campaign):
    own = make_small_template(division=tree.yc, status=TemplateStatus.DRAFT, year=2024)
    client.force_login(tree.users.county)
    assert client.get(reverse("reviews:templates")).status_code == 200
    page = client.get(reverse("reviews:template", args=[campaign.template.pk])).content.decode()
    assert 'data-testid="in-use"' in page and reverse("reviews:template_edit", args=[campaign.template.pk]) not in page
    edit = reverse("reviews:template_edit", args=[own.pk])
    client.post(edit, {"name": "郾城区2024", "good_min": "92", "fairly_good_min": "82", "average_min": "62"})
    own.refresh_from_db()
    assert (own.name, own.good_min) == ("郾城区2024", 92)
    client.post(reverse("reviews:veto_add", args=[own.pk]), {"name": "重大安全事故", "grade": Grade.AVERAGE})
    assert own.vetoes.filter(name="重大安全事故").exists()
    client.post(reverse("reviews:template_publish", args=[own.pk]))
    own.refresh_from_db()
    assert own.status == TemplateStatus.PUBLISHED
    response = client.post(
        reverse("reviews:template_copy", args=[campaign.template.pk]),
        {"division": tree.yc.code, "year": "2025", "name": "2025年考察表"},
    )
    copy = ScorecardTemplate.objects.get(name="2025年考察表")
    assert response["Location"] == copy.get_absolute_url() and copy.items.count() == 5
