"""The default service list and the grids demo: the seed's shape, valid rows, idempotent loading."""

import io
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count

from grids import demo, selectors
from grids.catalogue import DEFAULT_CATALOGUE, load_defaults
from grids.choices import OPEN_STATUSES, GridKind, RequestStatus
from grids.geo import bounds
from grids.models import (
    CareTag,
    Grid,
    GridAssignment,
    Household,
    PartyMember,
    RequestStep,
    ServiceCategory,
    ServiceItem,
    ServiceRequest,
    ServiceSubcategory,
    Supervision,
    Visit,
)
from villages import demo as villages_demo
from villages.choices import Level
from villages.models import Division


def test_default_catalogue_has_the_seed_shape(db):
    # Loaded by the data migration.
    assert ServiceCategory.objects.count() == 8
    assert ServiceSubcategory.objects.count() == 23
    assert ServiceItem.objects.count() == 94
    assert len(DEFAULT_CATALOGUE) == 8
    assert load_defaults(ServiceCategory, ServiceSubcategory, ServiceItem, CareTag) == (0, 0)
    item = ServiceItem.objects.get(name="井盖缺失报修")
    assert (item.time_limit, item.time_unit) == (12, "hours")
    # A county's change survives a reload.
    ServiceItem.objects.filter(pk=item.pk).update(time_limit=6)
    load_defaults(ServiceCategory, ServiceSubcategory, ServiceItem, CareTag)
    assert ServiceItem.objects.get(pk=item.pk).time_limit == 6


def counts():
    models = [Grid, GridAssignment, PartyMember, Household, ServiceRequest, RequestStep, Supervision, Visit]
    return {m.__name__: m.objects.count() for m in models}


@pytest.fixture
def loaded(db):
    villages_demo.load(io.StringIO())
    out = io.StringIO()
    demo.load(out)
    return out.getvalue()


def test_demo(loaded):
    """One load, every check: loading the demo takes seconds, so it is done once."""
    _divides_yancheng_into_grids()
    _grids_do_not_overlap()
    _grid_worker_has_three_grids_of_longjiang()
    _requests_cover_every_state_and_keep_their_rules()
    _households_are_linked_and_visited()
    _loads_once()


def _divides_yancheng_into_grids():
    villages = Division.objects.filter(level=Level.VILLAGE, code__startswith="411103")
    assert not villages.annotate(n=Count("grids")).filter(n=0).exists()
    shabei = Grid.objects.filter(village__code__startswith="411103001")
    assert shabei.filter(kind=GridKind.COMPREHENSIVE).count() == 66
    assert shabei.filter(kind=GridKind.DEDICATED).count() == 34
    assert set(shabei.filter(kind=GridKind.DEDICATED).values_list("dedicated_type", flat=True)) >= {
        "school",
        "hospital",
        "market",
    }
    assert 600 <= Grid.objects.count() <= 900
    for grid in Grid.objects.select_related("village"):
        grid.full_clean()
        west, south, east, north = bounds(grid.boundary)
        assert 113.9 <= west < east <= 114.2 and 33.5 <= south < north <= 33.7, grid.code


def _grids_do_not_overlap():
    boxes = [
        bounds(b) for b in Grid.objects.filter(village__code__startswith="411103001").values_list("boundary", flat=True)
    ]
    for a, b in itertools.combinations(boxes, 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def _grid_worker_has_three_grids_of_longjiang():
    worker = get_user_model().objects.get(username="yc_grid")
    visible = Grid.objects.visible_to(worker)
    assert visible.count() == 3
    assert all(g.village.code == "411103001001" for g in visible.select_related("village"))
    assert Grid.objects.filter(village__code="411103001001").count() == 9
    households = Household.objects.filter(grid__in=visible).values("grid").annotate(n=Count("pk"))
    assert all(200 <= row["n"] <= 300 for row in households)
    mine = list(selectors.my_open_requests(user=worker))
    assert {r.status for r in mine} == set(OPEN_STATUSES)
    assert [r.due_at for r in mine] == sorted(r.due_at for r in mine)
    assert any(r.is_overdue() for r in mine) and any(r.supervision_level for r in mine)


def _requests_cover_every_state_and_keep_their_rules():
    requests = ServiceRequest.objects.select_related("grid__village", "item")
    assert set(requests.values_list("status", flat=True)) == set(RequestStatus.values)
    assert requests.overdue().exists()
    assert requests.supervised().filter(status__in=OPEN_STATUSES).exists()
    assert set(Supervision.objects.values_list("level", flat=True)) == {"ordinary", "yellow", "red"}
    for request in requests.filter(grid__village__code__startswith="411103001"):
        request.full_clean()
        steps = list(request.steps.order_by("at", "pk"))
        assert steps[0].action == "report" and steps[-1].to_status == request.status
        assert all(a.at <= b.at for a, b in itertools.pairwise(steps))
        assert request.due_at == request.reported_at + request.item.time_limit_delta
    assert RequestStep.objects.filter(action="send_back").exists()


def _households_are_linked_and_visited():
    assert not Household.objects.filter(linked_member__isnull=True).exists()
    assert Household.objects.filter(care_tags__isnull=False).exists()
    assert Visit.objects.exists()
    worker = get_user_model().objects.get(username="yc_grid")
    division = Division.objects.get(code="411103001000")
    grids, _rules, _since = selectors.grids_with_figures(
        user=worker, division=Division.objects.get(code="411103001001")
    )
    assert all(0 < g.visited_count <= g.households_count for g in grids)
    _rows, total, _rules = selectors.division_board(
        user=get_user_model().objects.get(username="yc_county"), division=division
    )
    assert total.grids == 100 and total.supervised_total > 0


def _loads_once():
    before = counts()
    out = io.StringIO()
    demo.load(out)
    assert counts() == before
    assert "already there" in out.getvalue()
