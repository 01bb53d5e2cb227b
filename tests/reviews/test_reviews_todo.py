"""The look-back review's and its follow-up's items in the to-do lists (reviews.todo, reviews.followup.todo):
each appears when its user may act, goes when it is done, never appears for another division, and shows the
village what waits on the township."""

import datetime
from decimal import Decimal

from reviews import services
from reviews.choices import Stage
from reviews.followup import services as followup
from reviews.followup.models import Measure, RecordEntry
from tests.reviews.conftest import fill, level_of
from villages.todo import todo_items

TODAY = datetime.date(2026, 12, 7)


def rows(user, prefix="reviews."):
    return [r for r in todo_items(user, today=TODAY) if r["kind"].startswith(prefix)]


def keyed(user, prefix="reviews."):
    return {(r["kind"], r["division"], bool(r["waiting_on"])) for r in rows(user, prefix)}


def test_each_level_is_on_its_authors_list_in_turn(tree, campaign, reviews, more_users):
    u = tree.users
    assert keyed(u.village) == {("reviews.level.village", "梁庄村", False)}
    pending = rows(u.township)
    assert [r["kind"] for r in pending] == ["reviews.level.village.pending"]
    assert pending[0]["waiting_on"] and "2" in pending[0]["title"]  # 梁庄村 and 王庄村, not 商桥镇's 郭栗庄村
    # The county draws its sample; the townships' diagnoses it waits on are one line.
    assert keyed(u.county) == {("reviews.sample", "郾城区", False), ("reviews.level.township.pending", "郾城区", True)}
    assert rows(u.grid) == [] and rows(u.petition) == []

    fill(level_of(reviews.liangzhuang, Stage.VILLAGE), u.village)
    # The village's part is done: it now waits on the township, whose turn it is.
    assert keyed(u.village) == {("reviews.level.township", "梁庄村", True)}
    assert ("reviews.level.township", "梁庄村", False) in keyed(u.township)
    assert "1" in next(r for r in rows(u.township) if r["kind"] == "reviews.level.village.pending")["title"]
    # Another township's staff never see it.
    assert not {k for k in keyed(more_users.shangqiao) if k[1] == "梁庄村"}

    fill(level_of(reviews.liangzhuang, Stage.TOWNSHIP), u.township)
    assert rows(u.village) == []
    assert ("reviews.level.township", "梁庄村", False) not in keyed(u.township)

    services.sample_draw(actor=u.county, campaign=campaign, share=Decimal(1), minimum=1, seed=7)
    # Every village drawn; only 梁庄村's township level is in, so only its re-diagnosis can be done.
    assert keyed(u.county) == {
        ("reviews.level.county", "梁庄村", False),
        ("reviews.level.township.pending", "郾城区", True),
    }
    fill(level_of(reviews.liangzhuang, Stage.COUNTY), u.county)
    # Its levels done, 梁庄村's review is the county's to sign off and close.
    assert keyed(u.county) == {("reviews.close", "郾城区", False), ("reviews.level.township.pending", "郾城区", True)}
    services.review_close(actor=u.county, review=reviews.liangzhuang)
    assert keyed(u.county) == {("reviews.level.township.pending", "郾城区", True)}


def test_a_returned_self_diagnosis_comes_back_to_the_village(tree, campaign, reviews):
    u = tree.users
    level = fill(level_of(reviews.liangzhuang, Stage.VILLAGE), u.village)
    services.review_level_return(actor=u.township, level=level, reason="材料不全")
    [item] = rows(u.village)
    assert item["kind"] == "reviews.level.village" and not item["waiting_on"]
    assert "退回" in str(item["title"]) or "returned" in str(item["title"])
    assert ("reviews.level.township", "梁庄村", False) not in keyed(u.township)


def test_measures_are_the_villages_to_report_and_the_townships_to_verify(tree, campaign, reviews):
    u = tree.users
    plan = followup.plan_create(actor=u.township, campaign=campaign, village=tree.liangzhuang)
    measure = followup.measure_add(
        actor=u.township, plan=plan, content="完善三会一课台账", owner="梁绍正", deadline=TODAY + datetime.timedelta(3)
    )
    assert ("followup.measure.report", "梁庄村", False) in keyed(u.village, "followup.")
    assert not keyed(u.township, "followup.measure") and not keyed(u.county, "followup.")
    # Overdue: the township and the county see the plan's overdue measures, by plan.
    later = TODAY + datetime.timedelta(days=10)
    assert [r["kind"] for r in todo_items(u.township, today=later) if r["kind"].startswith("followup.")] == [
        "followup.plan.overdue"
    ]
    assert "followup.plan.overdue" in [r["kind"] for r in todo_items(u.county, today=later)]

    Measure.objects.filter(pk=measure.pk).update(status="done", completed_on=TODAY)
    assert not keyed(u.village, "followup.measure")
    assert ("followup.measure.verify", "梁庄村", False) in keyed(u.township, "followup.")
    followup.measure_close(actor=u.township, measure=Measure.objects.get(pk=measure.pk), note="已核实")
    assert not keyed(u.township, "followup.measure")


def test_last_months_books_wait_on_the_township_until_published(tree, campaign):
    u = tree.users
    cadre = tree.liangzhuang.cadres.first()
    last_month = TODAY.replace(day=1) - datetime.timedelta(days=3)
    RecordEntry.objects.create(
        village=tree.liangzhuang, cadre=cadre, book="blue", date=last_month, content="按时坐班", written_by=u.township
    )
    assert ("followup.books.publish", "梁庄村", False) in keyed(u.township, "followup.")
    assert not keyed(u.village, "followup.books")
    followup.record_books_publish(actor=u.township, village=tree.liangzhuang, period=f"{last_month:%Y-%m}")
    assert not keyed(u.township, "followup.books")


def test_the_lists_read_a_constant_number_of_queries(
    tree, campaign, reviews, more_users, django_assert_max_num_queries
):
    u = tree.users
    with django_assert_max_num_queries(14) as small:
        todo_items(u.township, today=TODAY)
    fill(level_of(reviews.liangzhuang, Stage.VILLAGE), u.village)
    fill(level_of(reviews.wangzhuang, Stage.VILLAGE), more_users.wangzhuang)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(rows(u.township)) == 2
