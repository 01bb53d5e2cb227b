"""Fixtures for the grids tests: grids in the villages of the ``tree`` fixture, with households, party members,
requests and visits, and a grid worker assigned to one grid of 梁庄村 but not to the other."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from grids import services
from grids.catalogue import load_defaults
from grids.choices import AssignmentRole, GridKind, RequestStatus, StepAction
from grids.geo import rectangle
from grids.models import CareTag, ServiceCategory, ServiceItem, ServiceSubcategory
from tests.factories import UserFactory

# The forward steps from a freshly reported request to each status, with what each step needs.
PATH = [
    (RequestStatus.ACCEPTED, StepAction.ACCEPT, {}),
    (RequestStatus.DISPATCHED, StepAction.DISPATCH, {}),
    (RequestStatus.HANDLED, StepAction.HANDLE, {"note": "已上门办理"}),
    (RequestStatus.VERIFIED, StepAction.VERIFY, {}),
    (RequestStatus.CLOSED, StepAction.CLOSE, {}),
    (RequestStatus.RATED, StepAction.RATE, {"rating": "satisfied"}),
]


@pytest.fixture
def catalogue(db):
    """The default service list; present after migrations, reloaded for tests that empty the tables."""
    load_defaults(ServiceCategory, ServiceSubcategory, ServiceItem, CareTag)
    return ServiceItem.objects.order_by("pk")


@pytest.fixture
def root(db):
    return UserFactory(username="g_root", is_superuser=True)


def make_grid(village, number, *, kind=GridKind.COMPREHENSIVE, dedicated_type="", actor, offset=0.0):
    west = 114.0 + number * 0.01 + offset
    return services.grid_create(
        actor=actor,
        village=village,
        code=f"{village.code}{number:03d}",
        name=f"第{number}网格",
        kind=kind,
        dedicated_type=dedicated_type,
        boundary=rectangle(west, 33.6, west + 0.008, 33.608),
    )


def advance(request, status, actor, **extra):
    """Move a request forward through the chain until it reaches ``status``."""
    order = [RequestStatus.REPORTED] + [target for target, _action, _needs in PATH]
    for target, action, needs in PATH[order.index(request.status) : order.index(status)]:
        request = services.request_transition(actor=actor, request=request, action=action, **needs, **extra)
        assert request.status == target
    return request


@pytest.fixture
def grids(tree, root, catalogue):
    """Grids in 梁庄村 (A: the grid worker's, B: not theirs), 王庄村 (C), 郭栗庄村 (D) and 江边村 (E).

    Each has a party member, two households (the first linked to the member, with a phone), a request just
    reported and a visit today.
    """
    a = make_grid(tree.liangzhuang, 1, actor=root)
    b = make_grid(tree.liangzhuang, 2, actor=root, kind=GridKind.DEDICATED, dedicated_type="school")
    c = make_grid(tree.wangzhuang, 1, actor=root, offset=0.1)
    d = make_grid(tree.guolizhuang, 1, actor=root, offset=0.2)
    e = services.grid_create(
        actor=root,
        village=tree.jiangbian,
        code=f"{tree.jiangbian.code}001",
        name="第1网格",
        kind=GridKind.COMPREHENSIVE,
        boundary=rectangle(116.1, 30.1, 116.11, 30.11),
    )
    services.assignment_add(
        actor=root,
        grid=a,
        role=AssignmentRole.FULL_TIME,
        user=tree.users.grid,
        start_date=datetime.date(2023, 1, 1),
    )
    item = catalogue.get(name="水电费代缴")
    made = {}
    for key, grid in {"a": a, "b": b, "c": c, "d": d, "e": e}.items():
        member = services.member_create(
            actor=root, village=grid.village, grid=grid, name=f"党员{key}", phone="13700000001", branch="党支部"
        )
        first = services.household_create(
            actor=root,
            grid=grid,
            address=f"{grid.village.name}1组1号",
            head_name=f"户主{key}1",
            members_count=3,
            phone="13912345678",
            linked_member=member,
            care_tags=list(CareTag.objects.filter(name="独居老人")),
        )
        second = services.household_create(
            actor=root, grid=grid, address=f"{grid.village.name}1组2号", head_name=f"户主{key}2", members_count=2
        )
        request = services.request_create(
            actor=root, grid=grid, item=item, household=first, description="帮忙代缴本月水电费"
        )
        services.visit_record(actor=root, household=first, visited_on=timezone.localdate())
        made[key] = SimpleNamespace(grid=grid, member=member, households=[first, second], request=request)
    return SimpleNamespace(item=item, **made)
