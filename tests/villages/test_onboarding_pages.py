"""A county's first steps in the browser's pages: the start page, start here, the checklist, users and scopes."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory, scoped_user
from villages.choices import DivisionKind, Level, Role
from villages.models import Division, UserScope

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def admin(tree):
    """A county official of 郾城区 who manages its users."""
    user = scoped_user("yc_admin", tree.yc, Role.COUNTY_OFFICIAL)
    UserScope.objects.filter(user=user).update(manages_users=True)
    return user


def test_an_empty_platform_greets_the_superuser_with_start_here(client, superuser):
    client.force_login(superuser)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="start-here"' in page
    assert reverse("villages:onboard_start") in page
    assert "组织部" not in page  # a superuser is never told to ask the county


def test_with_data_the_superuser_picks_a_division(client, superuser, tree):
    client.force_login(superuser)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="start-here"' not in page and 'data-testid="no-scope"' not in page
    assert "河南省" in page and "安徽省" in page
    assert reverse("villages:onboard_start") in page


def test_a_user_with_no_scope_is_told_whom_to_ask_and_what_they_would_see(client, db):
    client.force_login(UserFactory(username="newcomer"))
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="no-scope"' in page
    assert "组织部" in page
    assert reverse("villages:onboard_start") not in page


def test_start_here_creates_a_county_through_the_form(client, superuser):
    client.force_login(superuser)
    page = client.get(reverse("villages:onboard_start")).content.decode()
    assert page.count('href="?province=') == 31 and "河南省" in page
    assert "http://" not in page.replace("http://www.w3.org", "")  # nothing from another host
    counties = client.get(reverse("villages:onboard_start"), {"province": "41"}).content.decode()
    assert len(re.findall(r'name="counties" value="\d{6}"', counties)) == 181
    assert "郾城区" in counties and "漯河经济技术开发区" in counties
    # htmx asks for the counties alone.
    part = client.get(reverse("villages:onboard_start"), {"province": "41"}, headers={"HX-Request": "true"})
    assert "<html" not in part.content.decode() and 'name="counties"' in part.content.decode()

    response = client.post(reverse("villages:onboard_start"), {"province": "41", "counties": ["411103"]})
    assert response.status_code == 302
    assert response["Location"] == reverse("villages:onboard_checklist", kwargs={"code": "411103000000"})
    yc = Division.objects.get(code="411103000000")
    assert (yc.name, yc.kind, yc.parent.name, yc.parent.parent.name) == (
        "郾城区",
        DivisionKind.DISTRICT,
        "漯河市",
        "河南省",
    )
    assert Division.objects.filter(parent=yc, level=Level.TOWNSHIP).count() == 10
    checklist = client.get(response["Location"]).content.decode()
    assert re.search(r'data-step="divisions".*?✓.*?>10<', checklist, re.S)
    assert re.search(r'data-step="villages".*?✗', checklist, re.S)
    # The county now shows on the start page as on the platform.
    again = client.get(reverse("villages:onboard_start"), {"province": "41"}).content.decode()
    assert "on the platform" in again or "已在平台" in again


def test_start_here_wants_a_choice(client, superuser):
    client.force_login(superuser)
    response = client.post(reverse("villages:onboard_start"), {"province": "41"})
    assert response.status_code == 200
    assert 'id="id_counties_errors"' in response.content.decode()
    assert not Division.objects.exists()


def test_the_whole_province_from_the_form(client, superuser):
    client.force_login(superuser)
    response = client.post(reverse("villages:onboard_start"), {"province": "65", "whole_province": "on"})
    assert response.status_code == 302 and response["Location"] == reverse(
        "villages:division", kwargs={"code": "650000000000"}
    )
    assert Division.objects.filter(level=Level.PROVINCE).count() == 1
    assert Division.objects.filter(level=Level.COUNTY, code__startswith="65").count() > 100


def test_the_county_page_links_to_the_checklist_and_the_users(client, tree, admin):
    client.force_login(admin)
    page = client.get(tree.yc.get_absolute_url()).content.decode()
    assert reverse("villages:onboard_checklist", kwargs={"code": tree.yc.code}) in page
    assert reverse("villages:onboard_users", kwargs={"code": tree.yc.code}) in page
    # A county official without the flag has the checklist, not the users.
    client.force_login(tree.users.county)
    page = client.get(tree.yc.get_absolute_url()).content.decode()
    assert reverse("villages:onboard_checklist", kwargs={"code": tree.yc.code}) in page
    assert reverse("villages:onboard_users", kwargs={"code": tree.yc.code}) not in page


def test_the_checklist_counts_and_links(client, tree, admin):
    client.force_login(admin)
    page = client.get(reverse("villages:onboard_checklist", kwargs={"code": tree.yc.code})).content.decode()
    steps = re.findall(r'data-step="(\w+)"', page)
    assert steps == ["divisions", "villages", "cadres", "grids", "party_members", "households", "users", "campaigns"]
    assert re.search(r'data-step="villages".*?✓.*?>3<', page, re.S)  # 梁庄村, 王庄村, 郭栗庄村
    assert re.search(r'data-step="campaigns".*?✗', page, re.S)
    # Each step a spreadsheet fills links its upload, its template and the county's import history.
    for kind in ("divisions", "cadres", "grids", "party_members", "households"):
        assert reverse("villages:import_upload", kwargs={"code": tree.yc.code, "kind": kind}) in page
        assert reverse("villages:import_template", kwargs={"code": tree.yc.code, "kind": kind}) in page
    assert reverse("villages:imports", kwargs={"code": tree.yc.code}) in page
    assert reverse("reviews:campaign_create", kwargs={"code": tree.yc.code}) in page
    assert 'data-testid="next-step"' in page


def test_the_checklist_renders_in_a_constant_number_of_queries(client, tree, admin, django_assert_max_num_queries):
    client.force_login(admin)
    url = reverse("villages:onboard_checklist", kwargs={"code": tree.yc.code})
    client.get(url)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200


def _create(client, code, **fields):
    data = {
        "username": "pc_staff",
        "name": "裴城干事",
        "password": "Xy7-qiang-mima",
        "password_again": "Xy7-qiang-mima",
        "role": Role.TOWNSHIP_STAFF,
    }
    data.update(fields)
    return client.post(reverse("villages:onboard_user_create", kwargs={"code": code}), data)


def test_a_county_admin_creates_a_user_with_a_scope(client, tree, admin):
    from django.contrib.auth import get_user_model

    client.force_login(admin)
    response = _create(client, tree.yc.code, division=tree.peicheng.pk)
    assert response.status_code == 302
    user = get_user_model().objects.get(username="pc_staff")
    assert user.check_password("Xy7-qiang-mima") and user.first_name == "裴城干事"
    assert [(s.division.code, s.role, s.manages_users) for s in user.scopes.all()] == [
        (tree.peicheng.code, Role.TOWNSHIP_STAFF, False)
    ]
    assert client.login(username="pc_staff", password="Xy7-qiang-mima")
    # A scope in one village, by its code.
    client.force_login(admin)
    response = _create(client, tree.yc.code, username="lz_sec", village=tree.liangzhuang.code, division=tree.yc.pk)
    assert response.status_code == 302
    assert get_user_model().objects.get(username="lz_sec").scopes.get().division == tree.liangzhuang


def test_a_county_admin_cannot_grant_outside_the_county(client, tree, admin):
    from django.contrib.auth import get_user_model

    client.force_login(admin)
    # 望江县 is not offered, and a hand-made post is refused beside the field.
    response = _create(client, tree.yc.code, division=tree.wj.pk)
    assert response.status_code == 200
    assert 'id="id_division_errors"' in response.content.decode()
    response = _create(client, tree.yc.code, division=tree.yc.pk, village=tree.jiangbian.code)
    assert 'id="id_division_errors"' in response.content.decode()
    response = _create(client, tree.yc.code, division=tree.yc.pk, role=Role.TOWNSHIP_STAFF, manages_users="on")
    assert 'id="id_manages_users_errors"' in response.content.decode()
    assert not get_user_model().objects.filter(username="pc_staff").exists()
    # Another county's users page is not there at all.
    assert client.get(reverse("villages:onboard_users", kwargs={"code": tree.wj.code})).status_code == 404
    # Granting a second scope out of the county is refused too.
    target = tree.users.township
    response = client.post(
        reverse("villages:onboard_scope_grant", kwargs={"pk": target.pk}),
        {"division": tree.wj.pk, "role": Role.TOWNSHIP_STAFF},
    )
    assert response.status_code == 200 and 'id="id_division_errors"' in response.content.decode()
    assert target.scopes.count() == 1


def test_errors_come_field_by_field_in_chinese(client, tree, admin):
    client.force_login(admin)
    response = _create(
        client, tree.yc.code, division=tree.peicheng.pk, username="t_township", password="1", password_again="2"
    )
    page = response.content.decode()
    assert 'id="id_password_again_errors"' in page and "两次" in page
    response = _create(client, tree.yc.code, division=tree.peicheng.pk, username="t_township")
    page = response.content.decode()
    assert 'id="id_username_errors"' in page and "已" in page
    response = _create(client, tree.yc.code, division=tree.peicheng.pk, password="12345678", password_again="12345678")
    assert 'id="id_password_errors"' in response.content.decode()


def test_the_users_list_is_searchable_and_holds_only_the_countys_scopes(client, tree, admin):
    UserScope.objects.create(user=tree.users.township, division=tree.wj, role=Role.PETITION_OFFICER)
    client.force_login(admin)
    url = reverse("villages:onboard_users", kwargs={"code": tree.yc.code})
    page = client.get(url).content.decode()
    for name in ("t_county", "t_township", "t_village", "t_grid", "t_api", "yc_admin"):
        assert name in page
    assert "t_petition" not in page  # 望江县's
    assert "望江县" not in page  # nor the other county's scope of a user it shares
    page = client.get(url, {"q": "grid"}).content.decode()
    assert "t_grid" in page and "t_village" not in page


def _users(n, division):
    for i in range(n):
        scoped_user(f"bulk_{division.code}_{i}", division, Role.VILLAGE_SECRETARY)


def test_the_users_list_costs_the_same_queries_at_two_sizes(client, tree, admin, django_assert_max_num_queries):
    client.force_login(admin)
    url = reverse("villages:onboard_users", kwargs={"code": tree.yc.code})
    client.get(url)
    with django_assert_max_num_queries(8):
        client.get(url)
    _users(40, tree.liangzhuang)
    with django_assert_max_num_queries(8):
        page = client.get(url).content.decode()
    assert page.count("bulk_") == 40


def test_deactivate_set_password_and_revoke(client, tree, admin):
    target = tree.users.township
    client.force_login(admin)
    assert (
        client.post(reverse("villages:onboard_user_active", kwargs={"pk": target.pk}), {"active": "0"}).status_code
        == 302
    )
    target.refresh_from_db()
    assert not target.is_active
    client.post(reverse("villages:onboard_user_active", kwargs={"pk": target.pk}), {"active": "1"})
    target.refresh_from_db()
    assert target.is_active
    response = client.post(
        reverse("villages:onboard_user_password", kwargs={"pk": target.pk}),
        {"password": "Neu-mima-2026", "password_again": "Neu-mima-2026"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password("Neu-mima-2026")
    # The last scope stays (deactivate instead); a second one goes.
    only = target.scopes.get()
    client.post(reverse("villages:onboard_scope_revoke", kwargs={"pk": only.pk}))
    assert target.scopes.count() == 1
    second = UserScope.objects.create(user=target, division=tree.shangqiao, role=Role.TOWNSHIP_STAFF)
    client.post(reverse("villages:onboard_scope_revoke", kwargs={"pk": second.pk}))
    assert list(target.scopes.all()) == [only]


def test_an_admin_cannot_deactivate_themself(client, tree, admin):
    client.force_login(admin)
    client.post(reverse("villages:onboard_user_active", kwargs={"pk": admin.pk}), {"active": "0"})
    admin.refresh_from_db()
    assert admin.is_active


def test_a_granted_scope_shows_at_once(client, tree, admin):
    """The cached scopes of the user granted a scope are dropped: the next request sees the new division."""
    target = tree.users.township
    client.force_login(target)
    assert client.get(tree.shangqiao.get_absolute_url()).status_code == 404
    client.force_login(admin)
    response = client.post(
        reverse("villages:onboard_scope_grant", kwargs={"pk": target.pk}),
        {"division": tree.shangqiao.pk, "role": Role.TOWNSHIP_STAFF},
    )
    assert response.status_code == 302
    client.force_login(target)
    assert client.get(tree.shangqiao.get_absolute_url()).status_code == 200
