"""Service requests: the state machine, step by step and role by role; due dates, overdue, supervision."""

import datetime
import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from grids import selectors, services
from grids.choices import ACTION_ROLES, BACKWARD, FORWARD, RequestStatus, StepAction, SupervisionLevel
from grids.models import RequestStep, ServiceRequest, Supervision
from tests.grids.conftest import advance
from villages.choices import Role

ROLE_OF = {
    "county": Role.COUNTY_OFFICIAL,
    "township": Role.TOWNSHIP_STAFF,
    "village": Role.VILLAGE_SECRETARY,
    "grid": Role.GRID_WORKER,
    "petition": Role.PETITION_OFFICER,
    "api": Role.API_CLIENT,
}
NEEDS = {
    StepAction.HANDLE: {"note": "已办理"},
    StepAction.RATE: {"rating": "basically", "note": "还行"},
    StepAction.SEND_BACK: {"note": "材料不全"},
}
ACTIONS = [a for a in StepAction.values if a != StepAction.REPORT]


def fresh(grids, root, status, key="a"):
    """A new request on grid ``key``, moved by the superuser to ``status``."""
    request = services.request_create(
        actor=root, grid=getattr(grids, key).grid, item=grids.item, requester_name="张三", description="代缴水电费"
    )
    return advance(request, status, root)


@pytest.mark.parametrize("status", RequestStatus.values)
def test_every_step_by_every_role(grids, root, tree, status):
    """Each action from each status, tried by each role, on the grid worker's own grid (A in 梁庄村)."""
    request = fresh(grids, root, status)
    for role, action in itertools.product(sorted(ROLE_OF), ACTIONS):
        user = getattr(tree.users, role)
        steps_before = request.steps.count()
        is_forward = status in FORWARD and FORWARD[status][0] == action
        is_back = action == StepAction.SEND_BACK and status in BACKWARD
        needed = ACTION_ROLES[FORWARD[status][0]] if status in FORWARD else set()
        if role == "petition":
            expected = Http404  # 望江县's petition officer cannot see 梁庄村 at all
        elif not (is_forward or is_back):
            expected = ValidationError
        elif ROLE_OF[role] not in (ACTION_ROLES[action] if is_forward else needed):
            expected = PermissionDenied
        else:
            expected = None
        if expected is None:
            moved = services.request_transition(actor=user, request=request, action=action, **NEEDS.get(action, {}))
            target = FORWARD[status][1] if is_forward else BACKWARD[status]
            assert moved.status == target, (status, action, role)
            step = moved.steps.order_by("-pk").first()
            assert (step.action, step.from_status, step.to_status, step.actor) == (action, status, target, user)
            request = fresh(grids, root, status)  # a refusal changes nothing, so only a move needs a new one
        else:
            with pytest.raises(expected):
                services.request_transition(actor=user, request=request, action=action, **NEEDS.get(action, {}))
            request.refresh_from_db()
            assert request.status == status, (status, action, role)
            assert request.steps.count() == steps_before


def test_grid_worker_cannot_touch_a_grid_they_are_not_assigned_to(grids, root, tree):
    request = fresh(grids, root, RequestStatus.REPORTED, key="b")
    with pytest.raises(Http404):
        services.request_transition(actor=tree.users.grid, request=request, action=StepAction.ACCEPT)
    with pytest.raises(Http404):
        services.request_create(
            actor=tree.users.grid, grid=grids.b.grid, item=grids.item, requester_name="李四", description="x"
        )
    # The same user on their own grid may.
    services.request_transition(actor=tree.users.grid, request=grids.a.request, action=StepAction.ACCEPT)


def test_the_whole_chain_records_who_when_and_which_units(grids, tree):
    grid_worker, township = tree.users.grid, tree.users.township
    request = services.request_create(
        actor=grid_worker,
        grid=grids.a.grid,
        item=grids.item,
        household=grids.a.households[0],
        channel="phone",
        description="代缴水电费",
    )
    assert request.requester_name == "户主a1" and request.requester_phone == "13912345678"
    label = f"{tree.liangzhuang.name}{grids.a.grid.name}"
    request = services.request_transition(actor=grid_worker, request=request, action="accept")
    request = services.request_transition(
        actor=township, request=request, action="dispatch", handler=grid_worker, to_unit=""
    )
    assert request.handler == grid_worker
    request = services.request_transition(actor=grid_worker, request=request, action="handle", note="已代缴")
    request = services.request_transition(actor=township, request=request, action="send_back", note="缺少缴费凭证")
    assert request.status == RequestStatus.DISPATCHED
    request = services.request_transition(actor=grid_worker, request=request, action="handle", note="已补凭证")
    request = services.request_transition(actor=township, request=request, action="verify")
    request = services.request_transition(actor=grid_worker, request=request, action="close")
    assert request.closed_at is not None
    request = services.request_transition(actor=grid_worker, request=request, action="rate", rating="satisfied")
    assert request.status == RequestStatus.RATED and request.rating == "satisfied"
    steps = list(request.steps.order_by("at", "pk"))
    assert [s.action for s in steps] == [
        "report", "accept", "dispatch", "handle", "send_back", "handle", "verify", "close", "rate",
    ]  # fmt: skip
    units = [(s.from_unit, s.to_unit) for s in steps]
    assert units[0] == ("户主a1", label)
    assert units[2] == ("裴城镇", grid_worker.username)  # dispatched by the township to the named worker
    assert units[3] == (grid_worker.username, "裴城镇")  # handled, up to the township for checking
    assert units[4] == ("裴城镇", grid_worker.username)  # sent back to whoever handled it, to redo it
    assert units[6] == ("裴城镇", label)
    assert units[7] == (label, "户主a1")
    assert steps[4].note == "缺少缴费凭证"
    assert [s.actor for s in steps[1:]] == [grid_worker, township, grid_worker, township, grid_worker, township,
                                            grid_worker, grid_worker]  # fmt: skip
    assert all(s.at is not None for s in steps)


def test_steps_that_need_something_refuse_without_it(grids, root):
    request = fresh(grids, root, RequestStatus.DISPATCHED)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.request_transition(actor=root, request=request, action="handle", note="  ")
    assert "note" in exc.value.error_dict
    request = fresh(grids, root, RequestStatus.HANDLED)
    with pytest.raises(ValidationError) as exc:
        services.request_transition(actor=root, request=request, action="send_back")
    assert "note" in exc.value.error_dict
    request = fresh(grids, root, RequestStatus.CLOSED)
    with pytest.raises(ValidationError) as exc:
        services.request_transition(actor=root, request=request, action="rate", rating="great")
    assert "rating" in exc.value.error_dict
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED and request.rating == ""


def test_dispatch_to_a_handler_without_scope_is_refused(grids, root, tree):
    request = fresh(grids, root, RequestStatus.ACCEPTED)
    with pytest.raises(ValidationError) as exc:
        services.request_transition(actor=root, request=request, action="dispatch", handler=tree.users.petition)
    assert "handler" in exc.value.error_dict
    assert ServiceRequest.objects.get(pk=request.pk).status == RequestStatus.ACCEPTED


def test_allowed_actions_match_the_service(grids, root, tree):
    request = fresh(grids, root, RequestStatus.HANDLED)
    assert services.allowed_actions(tree.users.township, request, {Role.TOWNSHIP_STAFF}) == ["verify", "send_back"]
    assert services.allowed_actions(tree.users.grid, request, {Role.GRID_WORKER}) == []
    done = fresh(grids, root, RequestStatus.RATED)
    assert services.allowed_actions(root, done, set()) == []


# Due dates and overdue -------------------------------------------------------------------------------------


def test_due_date_follows_the_item_time_limit(grids, root, catalogue):
    hours = catalogue.get(name="井盖缺失报修")  # 12 hours
    days = catalogue.get(name="最低生活保障申请代办")  # 15 days
    for item, delta in ((hours, datetime.timedelta(hours=12)), (days, datetime.timedelta(days=15))):
        request = services.request_create(
            actor=root, grid=grids.a.grid, item=item, requester_name="王五", description="x"
        )
        assert request.due_at - request.reported_at == delta
        assert item.due_from(request.reported_at) == request.due_at


def test_overdue_is_open_past_due_or_closed_after_due(grids, root):
    now = timezone.now()
    request = fresh(grids, root, RequestStatus.DISPATCHED)
    assert not request.is_overdue(now)
    assert request.is_overdue(request.due_at + datetime.timedelta(minutes=1))
    late = ServiceRequest.objects.filter(pk=request.pk)
    late.update(reported_at=now - datetime.timedelta(days=3), due_at=now - datetime.timedelta(hours=1))
    assert ServiceRequest.objects.overdue().filter(pk=request.pk).exists()
    assert not ServiceRequest.objects.overdue(now - datetime.timedelta(hours=2)).filter(pk=request.pk).exists()
    request = advance(ServiceRequest.objects.get(pk=request.pk), RequestStatus.CLOSED, root)
    assert not ServiceRequest.objects.overdue().filter(pk=request.pk).exists()  # closed is no longer overdue
    assert request.is_overdue()  # but it was closed late
    on_time = fresh(grids, root, RequestStatus.CLOSED)
    assert not on_time.is_overdue()


def make_overdue(request, hours=5):
    now = timezone.now()
    ServiceRequest.objects.filter(pk=request.pk).update(
        reported_at=now - datetime.timedelta(days=2), due_at=now - datetime.timedelta(hours=hours)
    )
    return ServiceRequest.objects.get(pk=request.pk)


def test_supervision_only_of_overdue_open_requests_and_never_lower(grids, root, tree):
    request = grids.a.request
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.request_supervise(actor=tree.users.township, request=request, level="ordinary", reason="催办")
    assert "overdue" in " ".join(exc.value.messages)
    request = make_overdue(request)
    for role in ("grid", "village", "api"):
        with pytest.raises(PermissionDenied):
            services.request_supervise(actor=getattr(tree.users, role), request=request, level="red", reason="x")
    with pytest.raises(Http404):
        services.request_supervise(actor=tree.users.petition, request=request, level="red", reason="x")
    with pytest.raises(ValidationError) as exc:
        services.request_supervise(actor=tree.users.township, request=request, level="yellow", reason=" ")
    assert "reason" in exc.value.error_dict
    services.request_supervise(actor=tree.users.township, request=request, level="yellow", reason="超期，黄牌督办")
    with pytest.raises(ValidationError):
        services.request_supervise(actor=tree.users.county, request=request, level="ordinary", reason="再催")
    supervision = services.request_supervise(actor=tree.users.county, request=request, level="red", reason="红牌督办")
    assert supervision.unit == "郾城区" and supervision.by == tree.users.county
    request.refresh_from_db()
    assert request.supervision_level == SupervisionLevel.RED
    assert list(Supervision.objects.filter(request=request).values_list("level", flat=True)) == ["yellow", "red"]
    closed = advance(make_overdue(fresh(grids, root, RequestStatus.VERIFIED)), RequestStatus.CLOSED, root)
    with pytest.raises(ValidationError):
        services.request_supervise(actor=tree.users.county, request=closed, level="red", reason="x")


def test_supervision_is_counted_up_the_tree(grids, root, tree, django_assert_max_num_queries):
    make_overdue(grids.a.request)
    make_overdue(grids.c.request)
    services.request_supervise(actor=tree.users.township, request=grids.a.request, level="yellow", reason="督办")
    services.request_supervise(actor=tree.users.county, request=grids.c.request, level="ordinary", reason="督办")
    with django_assert_max_num_queries(7):
        rows, total, _rules = selectors.division_board(user=tree.users.county, division=tree.yc)
    by_name = {r.division.name: r for r in rows}
    assert by_name["裴城镇"].supervised == {"yellow": 1, "ordinary": 1}
    assert by_name["裴城镇"].overdue == 2 and by_name["裴城镇"].open == 3  # a, b, c are open in 裴城镇
    assert by_name["商桥镇"].supervised == {} and by_name["商桥镇"].open == 1
    assert total.supervised_total == 2 and total.overdue == 2
    rows, total, _rules = selectors.division_board(user=tree.users.township, division=tree.peicheng)
    by_name = {r.division.name: r for r in rows}
    assert by_name["梁庄村"].supervised == {"yellow": 1} and by_name["王庄村"].supervised == {"ordinary": 1}
    watched = list(selectors.supervised_requests(user=tree.users.county, division=tree.yc))
    assert [r.pk for r in watched] == [grids.a.request.pk, grids.c.request.pk]  # yellow before ordinary


def test_grid_worker_my_open_requests_sorted_by_due(grids, root, tree):
    second = fresh(grids, root, RequestStatus.DISPATCHED)
    make_overdue(second)
    done = fresh(grids, root, RequestStatus.CLOSED)
    mine = list(selectors.my_open_requests(user=tree.users.grid))
    assert [r.pk for r in mine] == [second.pk, grids.a.request.pk]
    assert done.pk not in [r.pk for r in mine]
    assert RequestStep.objects.visible_to(tree.users.grid).filter(request__grid=grids.b.grid).count() == 0
