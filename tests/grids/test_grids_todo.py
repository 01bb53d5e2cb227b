"""The grids' items in the to-do lists (grids.todo): each request is on the list of whoever takes its next step
(the grid worker's errand in their own grids, the township's dispatch and verification), leaves it once taken,
and an overdue errand shows the township that it waits on the grid worker; unvisited households wait on the
grid worker."""

import datetime

from django.utils import timezone

from grids import services
from grids.choices import StepAction
from grids.models import ServiceRequest
from villages.todo import todo_items


def keyed(user, prefix="grids."):
    today = timezone.localdate()
    return {
        (r["kind"], r["key"], bool(r["waiting_on"]))
        for r in todo_items(user, today=today)
        if r["kind"].startswith(prefix)
    }


def test_a_request_moves_from_list_to_list_along_its_steps(tree, grids, root):
    u = tree.users
    a = grids.a.request
    key = f"request-{a.pk}"
    assert ("grids.request.accept", key, False) in keyed(u.grid)
    # Not the grid worker's grid: B's request is not on their list.
    assert f"request-{grids.b.request.pk}" not in {k[1] for k in keyed(u.grid)}
    assert key not in {k[1] for k in keyed(u.township)}  # the errand is the grid worker's (not yet overdue)

    services.request_transition(actor=u.grid, request=a, action=StepAction.ACCEPT)
    assert key not in {k[1] for k in keyed(u.grid)}
    assert ("grids.request.dispatch", key, False) in keyed(u.township)

    services.request_transition(actor=u.township, request=a, action=StepAction.DISPATCH)
    assert key not in {k[1] for k in keyed(u.township)}
    assert ("grids.request.handle", key, False) in keyed(u.grid)

    services.request_transition(actor=u.grid, request=a, action=StepAction.HANDLE, note="已代缴")
    assert ("grids.request.verify", key, False) in keyed(u.township)
    services.request_transition(actor=u.township, request=a, action=StepAction.VERIFY)
    assert ("grids.request.close", key, False) in keyed(u.grid)
    services.request_transition(actor=u.grid, request=a, action=StepAction.CLOSE)
    assert key not in {k[1] for k in keyed(u.grid) | keyed(u.township)}


def test_another_townships_requests_never_appear(tree, grids):
    u = tree.users
    others = {f"request-{grids.d.request.pk}", f"request-{grids.e.request.pk}"}
    for user in (u.township, u.grid, u.village, u.county, u.petition):
        assert not others & {k[1] for k in keyed(user)}


def test_an_overdue_errand_shows_the_township_it_waits_on_the_grid_worker(tree, grids):
    a = grids.a.request
    now = timezone.now()
    ServiceRequest.objects.filter(pk=a.pk).update(
        reported_at=now - datetime.timedelta(hours=3), due_at=now - datetime.timedelta(hours=2)
    )
    assert ("grids.request.accept", f"request-{a.pk}", True) in keyed(tree.users.township)
    assert ("grids.request.accept", f"request-{a.pk}", False) in keyed(tree.users.grid)


def test_unvisited_households_wait_on_the_grid_worker(tree, grids, root):
    items = [r for r in todo_items(tree.users.grid) if r["kind"] == "grids.visits"]
    assert [r["key"] for r in items] == [f"visits-{grids.a.grid.pk}"]  # one of two households visited
    services.visit_record(actor=root, household=grids.a.households[1], visited_on=timezone.localdate())
    assert not [r for r in todo_items(tree.users.grid) if r["kind"] == "grids.visits"]


def test_the_list_reads_a_constant_number_of_queries(tree, grids, root, django_assert_max_num_queries):
    with django_assert_max_num_queries(14) as small:
        todo_items(tree.users.grid)
    for n in range(5):
        services.request_create(
            actor=root, grid=grids.a.grid, item=grids.item, household=grids.a.households[0], description=f"代缴{n}"
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(todo_items(tree.users.grid)) >= 6
