"""Cases in every state, built through the services, on the `tree` of tests/conftest.py.

望江县: the petition officer t_petition and a township staff member of 华阳镇 (t_huayang, made here) handle
cases about 江边村. 郾城区: a petition officer made here (t_yc_petition) registers cases about 梁庄村 that
裴城镇 (t_township) handles.
"""

import datetime
from types import SimpleNamespace

import pytest

from petitions import services
from petitions.choices import (
    Channel,
    Decision,
    Delivery,
    DisputeCategory,
    DisputeSource,
    Kind,
    MediationKind,
    ReviewResult,
    RiskLevel,
    Satisfaction,
)
from tests.factories import scoped_user, valid_id_number
from villages.choices import Role

D = datetime.date
# Cases start in the spring of 2026, so every later step falls on a day already past.
START = D(2026, 3, 2)
STATES = [
    "registered", "refused", "handling", "concluded", "delivered", "rated", "visited", "review", "reviewed",
    "rereview", "terminated",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Attachments are written under a temporary directory, never into the project."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def people(tree):
    return SimpleNamespace(
        wj_officer=tree.users.petition,
        huayang=scoped_user("t_huayang", tree.huayang, Role.TOWNSHIP_STAFF),
        yc_officer=scoped_user("t_yc_petition", tree.yc, Role.PETITION_OFFICER),
        peicheng=tree.users.township,
        yc_county=tree.users.county,
    )


def petitioner(name="汪大海", id_number=None, phone="13912345678", region="340827"):
    return {"name": name, "id_number": id_number or valid_id_number(region=region), "phone": phone, "address": ""}


@pytest.fixture
def places(tree, people):
    """where → (petition officer, township handler, village concerned, responsible township, county)."""
    table = {
        "wj": (people.wj_officer, people.huayang, tree.jiangbian, tree.huayang, tree.wj),
        "yc": (people.yc_officer, people.peicheng, tree.liangzhuang, tree.peicheng, tree.yc),
        "yc_out": (people.yc_officer, None, tree.guolizhuang, tree.shangqiao, tree.yc),
    }
    return table.__getitem__


@pytest.fixture
def make_case(tree, people, places):
    """make_case(state, where="wj"|"yc", received_on=..., **register kwargs) → the case, moved to that state."""

    def make(state="registered", *, where="wj", received_on=START, step_days=5, **kwargs):
        officer, handler, place, unit, county = places(where)
        handler = handler or officer  # the county's petition office may handle a case itself
        region = county.code[:6]
        fields = {
            "channel": Channel.VISIT,
            "kind": Kind.DEMAND,
            "subject": "宅基地边界争议",
            "content": "邻居建房占用宅基地，要求依法确权。",
            "petitioners": [petitioner(region=region)],
        }
        fields.update(kwargs)
        case = services.petition_register(
            actor=officer, registry_unit=county, division=place, received_on=received_on, **fields
        )
        day = received_on

        def later():
            nonlocal day
            day = day + datetime.timedelta(days=step_days)
            return day

        if state == "registered":
            return case
        if state == "refused":
            return services.petition_refuse(actor=officer, petition=case, reason="不属于信访事项", on=later())
        case = services.petition_assign(actor=officer, petition=case, unit=unit, on=later())
        if state == "handling":
            return case
        case = services.petition_conclude(
            actor=handler, petition=case, decision=Decision.SUPPORT, decision_text="支持诉求", on=later()
        )
        if state == "concluded":
            return case
        case = services.petition_deliver(actor=handler, petition=case, method=Delivery.IN_PERSON, on=later())
        if state == "delivered":
            return case
        if state in {"rated", "visited"}:
            case = services.petition_rate(actor=officer, petition=case, satisfaction=Satisfaction.SATISFIED, on=later())
            if state == "visited":
                case = services.petition_return_visit(actor=handler, petition=case, note="群众认可", on=later())
            return case
        case = services.petition_request_review(actor=officer, petition=case, on=later())
        if state == "review":
            return case
        case = services.petition_answer_review(
            actor=officer, petition=case, result=ReviewResult.UPHELD,
            text="维持原处理意见", reviewing_body=f"{county.name}信访局", on=later(),
        )  # fmt: skip
        if state == "reviewed":
            return case
        case = services.petition_request_review(actor=officer, petition=case, on=later(), rereview=True)
        if state == "rereview":
            return case
        return services.petition_answer_review(
            actor=officer, petition=case, result=ReviewResult.UPHELD, text="维持复查意见",
            reviewing_body="安庆市信访局", on=later(), rereview=True,
        )  # fmt: skip

    return make


@pytest.fixture
def make_dispute(tree, people, places):
    """make_dispute(state, where=...) → a dispute screened in the village of ``where``, moved to that state."""

    def make(state="screened", *, where="wj", screened_on=START):
        officer, _handler, place, _unit, county = places(where)
        dispute = services.dispute_screen(
            actor=officer, division=place, source=DisputeSource.GRID, screened_on=screened_on,
            category=DisputeCategory.LAND, risk_level=RiskLevel.MEDIUM, summary="两户因承包地边界发生争执",
            parties=[petitioner(name="甲", region=county.code[:6]), petitioner(name="乙", region=county.code[:6])],
        )  # fmt: skip
        if state == "screened":
            return dispute
        return services.dispute_mediate(
            actor=officer, dispute=dispute, kind=MediationKind.PEOPLES, mediator="调解员", method="face_to_face",
            sessions=2, started_on=screened_on, ended_on=screened_on + datetime.timedelta(days=3),
            agreement="双方重新确认边界" if state == "resolved" else "", resolved=state == "resolved",
        ).dispute  # fmt: skip

    return make
