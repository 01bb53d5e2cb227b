"""The to-do list (villages.todo) as the home page of every role, the navigation's entries, and the refusal pages.

Each app's items are tested beside the app (tests/<app>/test_*_todo.py); here: the base (ordering, urgency,
the villages app's own items: star applications and meeting records), the home page and the badge, the
navigation showing only what the role may open, and the 400/403/404/CSRF pages in Chinese with their reason.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import translation

from villages import stars
from villages.choices import Role, StarStatus
from villages.models import StarAward, StarType
from villages.scopes import refusal, require_role
from villages.stats import bump_data_version
from villages.todo import TodoItem, Urgency, todo_items
from villages.work.models import MeetingKind, VillagerMeeting

TODAY = datetime.date(2026, 12, 7)


def kinds(user, today=TODAY):
    return [(row["kind"], row["division"], bool(row["waiting_on"])) for row in todo_items(user, today=today)]


def test_urgency_follows_the_deadline():
    item = TodoItem(kind="k", title="t", division="d", url="/", actor="a", due=TODAY)
    assert item.urgency(TODAY) == Urgency.SOON
    assert item.urgency(TODAY + datetime.timedelta(days=1)) == Urgency.OVERDUE
    assert item.urgency(TODAY - datetime.timedelta(days=30)) == Urgency.OPEN
    waiting = TodoItem(kind="k", title="t", division="d", url="/", actor="a", due=TODAY, waiting_on="x")
    assert waiting.urgency(TODAY + datetime.timedelta(days=9)) == Urgency.WAITING


@pytest.fixture
def strong(db):
    return StarType.objects.get(code="strong_branch")


def _apply(tree, village, star):
    # As star_apply leaves it (with the data's proposal, which a tally would have made).
    return StarAward.objects.create(division=village, year=TODAY.year, star_type=star, proposed=True)


def test_a_star_application_waits_on_the_township_then_the_county(tree, strong):
    award = _apply(tree, tree.liangzhuang, strong)
    assert ("villages.star.applied", "梁庄村", False) in kinds(tree.users.township)
    assert ("villages.star.applied", "梁庄村", True) in kinds(tree.users.village)  # the village waits
    assert not [k for k in kinds(tree.users.county) if k[0].startswith("villages.star")]

    stars.star_township_review(actor=tree.users.township, award=award, opinion="同意", support=True)
    assert not [k for k in kinds(tree.users.township) if k[0].startswith("villages.star")]
    assert ("villages.star.township_reviewed", "梁庄村", False) in kinds(tree.users.county)
    assert ("villages.star.township_reviewed", "梁庄村", True) in kinds(tree.users.village)

    stars.star_county_decide(actor=tree.users.county, award=award, award_star=True, reason="数据支持")
    stars.star_publish_notice(actor=tree.users.county, award=award, start=TODAY)
    # The notice runs five days: nothing to do until it is over, then the award.
    assert not [k for k in kinds(tree.users.county) if k[0].startswith("villages.star")]
    later = TODAY + datetime.timedelta(days=stars.NOTICE_DAYS)
    assert ("villages.star.notice", "梁庄村", False) in kinds(tree.users.county, later)
    stars.star_confirm_award(actor=tree.users.county, award=award, today=later)
    assert not [k for k in kinds(tree.users.county, later) if k[0].startswith("villages.star")]
    assert not [k for k in kinds(tree.users.village, later) if k[0].startswith("villages.star")]


def test_another_townships_application_never_appears(tree, strong):
    _apply_as_county = StarAward.objects.create(
        division=tree.guolizhuang, year=TODAY.year, star_type=strong, status=StarStatus.APPLIED
    )
    assert _apply_as_county.pk
    assert not [k for k in kinds(tree.users.township) if k[0].startswith("villages.star")]
    assert not [k for k in kinds(tree.users.village) if k[0].startswith("villages.star")]
    assert not [k for k in kinds(tree.users.grid) if k[0].startswith("villages.star")]


def test_the_award_flow_table_is_what_the_services_check(tree, strong):
    award = _apply(tree, tree.liangzhuang, strong)
    with pytest.raises(PermissionDenied):
        stars.star_township_review(actor=tree.users.county, award=award, opinion="同意", support=True)
    assert stars.AWARD_STEP_ROLES[StarStatus.APPLIED] == {Role.TOWNSHIP_STAFF}


def test_the_month_meeting_waits_on_the_village_secretary_until_filed(tree):
    assert ("villages.work.meeting", "梁庄村", False) in kinds(tree.users.village)
    assert not [k for k in kinds(tree.users.township) if k[0] == "villages.work.meeting"]
    VillagerMeeting.objects.create(
        division=tree.liangzhuang,
        kind=MeetingKind.objects.get_or_create(name="屋场会")[0],
        date=TODAY.replace(day=2),
        place="村委会",
        attendance=30,
    )
    assert not [k for k in kinds(tree.users.village) if k[0] == "villages.work.meeting"]


def test_the_list_is_ordered_most_urgent_first_and_waiting_last(tree, strong):
    _apply(tree, tree.liangzhuang, strong)
    rows = todo_items(tree.users.village, today=TODAY)
    order = {Urgency.OVERDUE: 0, Urgency.SOON: 1, Urgency.OPEN: 2, Urgency.WAITING: 3}
    ranks = [order[r["urgency"]] for r in rows]
    assert ranks == sorted(ranks) and ranks[-1] == 3


def test_read_only_and_unscoped_users_have_nothing_to_do(tree):
    from tests.factories import UserFactory

    assert todo_items(tree.users.api) == []
    assert todo_items(UserFactory(username="nobody")) == []


# --- the home page and the badge -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["county", "township", "village", "grid", "petition", "api"])
def test_home_is_the_todo_list_for_every_role(client, tree, role):
    client.force_login(getattr(tree.users, role))
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    html = response.content.decode()
    assert "我的待办" in html
    # The division's dashboard is one click away.
    scope = getattr(tree.users, role).scopes.select_related("division").get()
    assert reverse("villages:division", args=[scope.division.code]) in html


def test_the_petition_officers_home_leads_to_the_petitions_board(client, tree):
    client.force_login(tree.users.petition)
    html = client.get("/").content.decode()
    board = html.index('href="/petitions/"')
    assert board < html.index('id="todo"')


def test_the_badge_counts_what_the_user_may_act_on(client, tree, strong):
    _apply(tree, tree.liangzhuang, strong)
    client.force_login(tree.users.township)
    response = client.get(reverse("villages:todo_count"))
    assert response.status_code == 200
    actionable = [r for r in todo_items(tree.users.township) if not r["waiting_on"]]
    assert f">{len(actionable)}</span>" in response.content.decode()
    client.force_login(tree.users.api)
    assert "badge" not in client.get(reverse("villages:todo_count")).content.decode()


def test_the_badge_is_kept_until_a_write_moves_the_users_county(client, tree, strong, django_assert_max_num_queries):
    url = reverse("villages:todo_count")
    award = _apply(tree, tree.liangzhuang, strong)
    client.force_login(tree.users.township)
    first = client.get(url).content.decode()
    assert ">1</span>" in first
    with django_assert_max_num_queries(3):  # the session and the user: the count comes from the cache
        assert client.get(url).content.decode() == first
    stars.star_township_review(actor=tree.users.township, award=award, opinion="同意", support=True)
    assert ">1</span>" in client.get(url).content.decode()  # not committed yet (the test's transaction)
    bump_data_version("411103000000")  # what its commit does (villages.stats.data_changed)
    assert "badge" not in client.get(url).content.decode()


def test_the_home_page_reads_a_constant_number_of_queries(client, tree, strong, django_assert_max_num_queries):
    client.force_login(tree.users.county)
    with django_assert_max_num_queries(25):
        assert client.get("/").status_code == 200
    for village in (tree.liangzhuang, tree.wangzhuang, tree.guolizhuang):
        award = StarAward.objects.create(
            division=village, year=TODAY.year, star_type=strong, status=StarStatus.TOWNSHIP_REVIEWED
        )
        assert award.pk
    client.force_login(tree.users.county)
    with django_assert_max_num_queries(25):
        assert client.get("/").status_code == 200


# --- the navigation ----------------------------------------------------------------------------------------------


def test_the_navigation_shows_only_what_the_role_may_open(client, tree):
    seen = {}
    for role in ("county", "township", "village", "grid", "petition"):
        client.force_login(getattr(tree.users, role))
        html = client.get("/").content.decode()
        seen[role] = {
            "petitions": 'href="/petitions/"' in html,
            "mine": 'href="/grids/mine/"' in html,
        }
    assert seen["petition"]["petitions"] and seen["county"]["petitions"] and seen["township"]["petitions"]
    assert not seen["village"]["petitions"] and not seen["grid"]["petitions"]
    assert seen["grid"]["mine"] and not any(seen[r]["mine"] for r in ("county", "township", "village", "petition"))


# --- the refusal pages -------------------------------------------------------------------------------------------


def test_a_role_refusal_says_who_may(tree):
    with translation.override("zh-hans"):
        with pytest.raises(PermissionDenied) as caught:
            require_role(tree.users.village, tree.liangzhuang.code, {Role.TOWNSHIP_STAFF})
        assert str(caught.value) == "需要乡镇干部角色。"
        assert "或" in str(refusal({Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICIAL}))


def test_403_is_a_page_in_chinese_with_the_reason(client, tree):
    client.force_login(tree.users.village)
    url = reverse("villages:cadre_create", args=[tree.liangzhuang.code])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 403
    html = response.content.decode()
    assert "无权" in html and "需要" in html and "角色" in html
    assert "<nav" in html  # the site's layout, with its navigation


def test_404_is_a_page_in_chinese(client, tree):
    client.force_login(tree.users.township)
    response = client.get(reverse("villages:division", args=[tree.jiangbian.code]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    assert "页面不存在" in client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_400_is_a_page_in_chinese(client, tree, rf):
    from villages.errors import bad_request

    request = rf.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    request.user = tree.users.county
    with translation.override("zh-hans"):
        response = bad_request(request)
    assert response.status_code == 400
    assert "无法处理" in response.content.decode()


def test_500_needs_no_database(rf):
    # No db fixture: any query would fail the test.
    from villages.errors import server_error

    with translation.override("zh-hans"):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "服务器" in response.content.decode()


def test_a_csrf_failure_is_a_page_in_chinese(tree):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tree.users.township)
    response = client.post(reverse("logout"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 403
    assert "表单已过期" in response.content.decode()


def test_the_favicon_is_ours(client, tree):
    client.force_login(tree.users.county)
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").content.decode()
