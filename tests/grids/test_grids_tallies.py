"""The grids metrics in the periodic snapshots, against counts made by hand from the fixture."""

import datetime

from django.utils import timezone

from grids.choices import RequestStatus
from grids.models import ServiceRequest
from tests.grids.conftest import advance
from villages.metrics import registry
from villages.models import Snapshot
from villages.snapshots import tally_county


def figure(code, metric, period):
    s = Snapshot.objects.filter(division_code=code, metric=metric, period=period).first()
    return (s.numerator, s.denominator) if s else None


def test_grid_metrics(grids, tree, root):
    assert {"grids.visit_coverage", "grids.requests_on_time", "grids.request_satisfaction"} <= set(registry())
    advance(grids.a.request, RequestStatus.RATED, root)  # closed on time, requester satisfied
    late = advance(grids.b.request, RequestStatus.VERIFIED, root)
    ServiceRequest.objects.filter(pk=late.pk).update(
        reported_at=timezone.now() - datetime.timedelta(days=3), due_at=timezone.now() - datetime.timedelta(days=1)
    )
    advance(ServiceRequest.objects.get(pk=late.pk), RequestStatus.CLOSED, root)  # closed a day late
    ServiceRequest.objects.filter(pk=grids.c.request.pk).update(
        reported_at=timezone.now() - datetime.timedelta(days=3), due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    period = str(timezone.localdate().year)
    tally_county(county_code=tree.yc.code, period=period)
    # Each grid has two households and the first was visited today.
    assert figure(tree.liangzhuang.code, "grids.visit_coverage", period) == (2, 4)
    assert figure(tree.peicheng.code, "grids.visit_coverage", period) == (3, 6)
    assert figure(tree.yc.code, "grids.visit_coverage", period) == (4, 8)
    assert figure(tree.liangzhuang.code, "grids.requests_on_time", period) == (1, 2)
    assert figure(tree.liangzhuang.code, "grids.request_satisfaction", period) == (1, 1)
    assert figure(tree.wangzhuang.code, "grids.requests_overdue", period) == (1, None)
    assert figure(tree.yc.code, "grids.requests_overdue", period) == (1, None)
    # 望江县 is another county: its grid is not in 郾城区's figures.
    assert figure(tree.jiangbian.code, "grids.visit_coverage", period) is None
