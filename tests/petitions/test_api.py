"""The API: cases with their steps, scoped and masked, created and moved through the same services as the
browser; disputes; errors a person can act on."""

import datetime

from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from petitions.choices import Status
from petitions.models import Dispute, Petition
from tests.factories import valid_id_number
from villages.validators import mask_id_number, mask_phone

D = datetime.date


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def _registration(tree, **over):
    body = {
        "registry_unit": tree.wj.code, "division": tree.jiangbian.code, "channel": "online", "kind": "suggestion",
        "subject": "建议增设路灯", "content": "村道夜间无照明。", "received_on": "2026-05-06",
        "petitioners": [{"name": "汪路明", "id_number": valid_id_number(region="340827"), "phone": "13811112222"}],
    }  # fmt: skip
    body.update(over)
    return body


def test_a_case_runs_its_course_over_the_api(tree, people):
    officer, township = _api(people.wj_officer), _api(people.huayang)
    response = officer.post(reverse("petition-list"), _registration(tree), format="json")
    assert response.status_code == 201, response.content
    case = response.json()
    assert (case["number"], case["status"], case["acceptance_due"]) == ("XF340827202600001", "registered", "2026-05-21")
    pk = case["id"]
    assert officer.post(reverse("petition-assign", args=[pk]), {"unit": tree.huayang.code, "on": "2026-05-08"},
                        format="json").status_code == 200  # fmt: skip
    body = {"decision": "support", "decision_text": "已安装路灯", "on": "2026-06-01"}
    assert township.post(reverse("petition-conclude", args=[pk]), body, format="json").status_code == 200
    assert township.post(reverse("petition-deliver", args=[pk]), {"method": "online"}, format="json").status_code == 200
    response = township.post(reverse("petition-rate", args=[pk]), {"satisfaction": "satisfied"}, format="json")
    assert response.status_code == 200
    detail = officer.get(reverse("petition-detail", args=[pk])).json()
    assert detail["status"] == Status.DELIVERED and detail["satisfaction"] == "satisfied"
    assert [s["action"] for s in detail["steps"]] == ["register", "assign", "conclude", "deliver", "rate"]
    assign = detail["steps"][1]
    assert (assign["from_unit"], assign["to_unit"], assign["actor"]) == (tree.wj.code, tree.huayang.code, "t_petition")


def test_errors_name_their_fields(tree, people):
    officer = _api(people.wj_officer)
    response = officer.post(reverse("petition-list"), _registration(tree, channel="fax", petitioners=[]), format="json")
    assert response.status_code == 400 and "channel" in response.json()
    body = _registration(tree, petitioners=[{"name": "汪", "id_number": "340827198005170011", "phone": "1"}])
    response = officer.post(reverse("petition-list"), body, format="json")
    assert response.status_code == 400 and list(response.json()) == ["petitioners"]
    response = officer.post(reverse("petition-list"), _registration(tree, division="999999999999"), format="json")
    assert response.status_code == 400 and "division" in response.json()
    assert not Petition.objects.exists()


def test_a_step_the_state_refuses_is_a_400_with_the_reason(tree, people, make_case):
    case = make_case("registered")
    response = _api(people.huayang).post(reverse("petition-conclude", args=[case.pk]),
                                         {"decision": "support", "decision_text": "x"}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["non_field_errors"][0]


def test_personal_data_is_masked_for_roles_that_do_not_need_it(tree, people, make_case):
    case = make_case("handling", where="yc")
    person = case.petitioners.get()
    for user, full in ((people.yc_officer, True), (tree.users.county, True), (tree.users.township, False),
                       (tree.users.api, False)):  # fmt: skip
        row = _api(user).get(reverse("petition-detail", args=[case.pk])).json()["petitioners"][0]
        assert row["id_number"] == (person.id_number if full else mask_id_number(person.id_number)), user
        assert row["phone"] == (person.phone if full else mask_phone(person.phone)), user


def test_filters_and_query_budget(tree, people, make_case, django_assert_max_num_queries):
    make_case("handling")
    registered = make_case("registered", received_on=timezone.localdate(), subject="新事项")
    api = _api(people.wj_officer)
    with django_assert_max_num_queries(12) as few:
        api.get(reverse("petition-list"))
    for i in range(6):
        make_case("visited", subject=f"事项{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = api.get(reverse("petition-list"), {"page_size": 100}).json()["results"]
    assert len(rows) == 8
    numbers = [r["number"] for r in api.get(reverse("petition-list"), {"mine": "true"}).json()["results"]]
    assert numbers == [registered.number]
    overdue = api.get(reverse("petition-list"), {"overdue": "true", "division": "340827100201"}).json()
    assert overdue["count"] == 1


def test_disputes_over_the_api(tree, people, make_case):
    api = _api(people.huayang)
    body = {
        "division": tree.jiangbian.code, "source": "grid", "grid_reference": "第3网格", "screened_on": "2026-05-01",
        "category": "land", "risk_level": "high", "summary": "承包地边界纠纷",
        "parties": [{"name": "甲", "phone": "13900001111"}, {"name": "乙"}],
    }  # fmt: skip
    response = api.post(reverse("dispute-list"), body, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["parties"][0]["phone"] == "139****1111"
    mediation = {"kind": "administrative", "mediator": "司法所", "method": "joint", "sessions": 2,
                 "started_on": "2026-05-02", "ended_on": "2026-05-03"}  # fmt: skip
    assert api.post(reverse("dispute-mediate", args=[pk]), mediation, format="json").status_code == 200
    case = make_case("registered", received_on=D(2026, 5, 10))
    response = api.post(reverse("dispute-escalate", args=[pk]), {"petition": case.number}, format="json")
    assert response.status_code == 200 and response.json()["petition"] == case.number
    assert Dispute.objects.get(pk=pk).status == "escalated"
    response = api.post(reverse("dispute-mediate", args=[pk]), mediation, format="json")
    assert response.status_code == 400


def test_the_schema_describes_the_petitions_api(tree, people):
    response = _api(people.wj_officer).get(reverse("schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/petitions/{id}/return-visit/" in paths
    assert "/api/v1/stats/petitions/" in paths


def test_the_api_logs_full_personal_data_it_shows(tree, people, make_case):
    from villages.models import PersonalDataAccess

    case = make_case("handling")
    _api(people.huayang).get(reverse("petition-detail", args=[case.pk]))
    assert not PersonalDataAccess.objects.exists()
    _api(people.wj_officer).get(reverse("petition-list"))
    entry = PersonalDataAccess.objects.get()
    assert (entry.user, entry.context, entry.object_ids) == (people.wj_officer, "api", [case.petitioners.get().pk])


def test_due_within_is_bounded(tree, people):
    api = _api(people.wj_officer)
    assert api.get(reverse("petition-list"), {"due_within": "99999999999"}).status_code == 400
    assert api.get(reverse("petition-list"), {"due_within": "15"}).status_code == 200
