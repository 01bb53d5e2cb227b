"""Grid services not covered elsewhere: the party chain, grid updates, the county's grid rules, and what a grid
worker may not do outside their grids."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from grids import selectors, services
from grids.models import GridRules, Household, PartyMember


def test_party_chain_branch_group_member(grids, tree):
    village = tree.users.village
    branch = services.party_branch_save(
        actor=village, grid=grids.a.grid, name="第一网格党支部", secretary=grids.a.member
    )
    group = services.party_group_create(actor=village, branch=branch, name="1号楼党小组", building="1号楼")
    services.member_update(actor=tree.users.grid, member=grids.a.member, party_group=group, is_central_household=True)
    found_branch, groups = selectors.grid_party_chain(grids.a.grid)
    assert found_branch == branch and [g.name for g in groups] == ["1号楼党小组"]
    (member,) = groups[0].members.all()
    assert member == grids.a.member and member.linked == 1 and member.is_central_household
    # Renaming keeps one branch per grid; a secretary from another village is refused.
    assert services.party_branch_save(actor=village, grid=grids.a.grid, name="第一网格联合党支部").pk == branch.pk
    with pytest.raises(ValidationError):
        services.party_branch_save(actor=village, grid=grids.a.grid, name="x", secretary=grids.c.member)
    with pytest.raises(ValidationError):
        services.party_group_create(actor=village, branch=branch, name="2号楼党小组", leader=grids.d.member)
    # A member's group must belong to the member's own grid.
    with pytest.raises(ValidationError):
        services.member_update(actor=village, member=grids.b.member, party_group=group)
    # The grid worker keeps households and members, not the party organization.
    with pytest.raises(PermissionDenied):
        services.party_group_create(actor=tree.users.grid, branch=branch, name="3号楼党小组")


def test_grid_code_never_changes_and_kind_fits_type(grids, tree):
    with pytest.raises(ValidationError):
        services.grid_update(actor=tree.users.township, grid=grids.a.grid, code="411103103201009")
    with pytest.raises(ValidationError) as exc:
        services.grid_update(actor=tree.users.township, grid=grids.a.grid, kind="dedicated")
    assert "dedicated_type" in exc.value.error_dict
    grid = services.grid_update(
        actor=tree.users.township, grid=grids.a.grid, kind="dedicated", dedicated_type="market", boundary=None
    )
    assert grid.dedicated_type == "market" and grid.boundary is None
    with pytest.raises(PermissionDenied):
        services.grid_update(actor=tree.users.grid, grid=grids.a.grid, name="改名")


def test_grid_rules_are_the_countys_and_warn_on_the_board(grids, tree):
    assert GridRules.for_code(tree.liangzhuang.code).households_min == 200  # defaults without a row
    with pytest.raises(ValidationError):
        GridRules(county=tree.yc, households_min=300, households_max=200).full_clean()
    with pytest.raises(ValidationError):
        GridRules(county=tree.peicheng, households_min=1, households_max=2).full_clean()
    GridRules.objects.create(county=tree.yc, households_min=2, households_max=2)
    rows, total, rules = selectors.division_board(user=tree.users.county, division=tree.peicheng)
    assert rules.households_max == 2
    # Grids a and c have two households each: within the rule; b is dedicated, so never counted.
    assert total.outside_rule == 0
    services.household_create(actor=tree.users.grid, grid=grids.a.grid, address="3号", head_name="新户")
    rows, total, _rules = selectors.division_board(user=tree.users.county, division=tree.peicheng)
    assert total.outside_rule == 1 and {r.division.name: r.outside_rule for r in rows}["梁庄村"] == 1


def test_grid_worker_stays_within_their_grids(grids, tree):
    worker = tree.users.grid
    with pytest.raises(Http404):
        services.household_create(actor=worker, grid=grids.b.grid, address="1号", head_name="甲")
    with pytest.raises(Http404):
        services.household_update(actor=worker, household=grids.a.households[0], grid=grids.b.grid)
    assert Household.objects.get(pk=grids.a.households[0].pk).grid == grids.a.grid
    with pytest.raises(PermissionDenied):
        services.member_create(actor=worker, village=tree.liangzhuang, name="全村党员")
    with pytest.raises(Http404):
        services.member_create(actor=worker, village=tree.liangzhuang, grid=grids.b.grid, name="乙")
    with pytest.raises(Http404):
        services.visit_record(actor=worker, household=grids.b.households[0])
    assert not PartyMember.objects.filter(name__in=["全村党员", "乙"]).exists()
    assert not Household.objects.visible_to(worker).filter(grid=grids.b.grid).exists()
    assert not PartyMember.objects.visible_to(worker).filter(grid=grids.b.grid).exists()
