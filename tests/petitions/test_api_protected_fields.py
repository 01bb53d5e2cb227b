"""Fields a role may not set are refused or ignored, never applied (issue 10, permission matrix).

The server decides the case number, the status, the units it passes through and who recorded it; a client
that sends them gets its request handled as if it had not, and a division out of its scope is refused.
"""

from django.urls import reverse
from rest_framework.test import APIClient

from petitions.models import Dispute, Petition
from tests.factories import valid_id_number

SERVER_OWNED = {
    "id": 999999,
    "number": "XF000000000099999",
    "status": "concluded",
    "intake": "refused",
    "responsible_unit": "411103103000",
    "first_unit": "411103103000",
    "created_by": 1,
    "decision": "support",
    "satisfaction": "satisfied",
}


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


def test_server_owned_petition_fields_are_ignored(tree, people):
    response = _api(people.wj_officer).post(
        reverse("petition-list"), _registration(tree, **SERVER_OWNED), format="json"
    )
    assert response.status_code == 201, response.content
    case = Petition.objects.get()
    assert case.pk != 999999 and case.number.startswith("XF340827")
    assert case.status == "registered" and case.intake == "" and case.decision == "" and case.satisfaction == ""
    assert case.responsible_unit_id != tree.peicheng.pk and case.first_unit_id != tree.peicheng.pk
    assert case.created_by == people.wj_officer


def test_a_division_out_of_scope_is_refused(tree, people):
    api = _api(people.wj_officer)
    for field in ("division", "registry_unit"):
        response = api.post(
            reverse("petition-list"), _registration(tree, **{field: tree.liangzhuang.code}), format="json"
        )
        assert response.status_code == 400 and field in response.json(), response.content
    assert not Petition.objects.exists()


def test_a_role_that_may_not_register_cannot_by_sending_fields(tree, people):
    # Township staff handle cases but do not register them; no field in the body changes that.
    response = _api(people.huayang).post(
        reverse("petition-list"),
        _registration(tree, registry_unit=tree.huayang.code, role="petition_officer"),
        format="json",
    )
    assert response.status_code == 403, response.content
    assert not Petition.objects.exists()


def test_server_owned_dispute_fields_are_ignored(tree, people):
    body = {
        "division": tree.jiangbian.code, "source": "grid", "screened_on": "2026-05-01", "category": "land",
        "risk_level": "high", "summary": "承包地边界纠纷", "parties": [{"name": "甲"}],
        "status": "resolved", "number": "TJ0000", "petition": "XF1", "id": 999999,
    }  # fmt: skip
    response = _api(people.huayang).post(reverse("dispute-list"), body, format="json")
    assert response.status_code == 201, response.content
    dispute = Dispute.objects.get()
    assert dispute.status == "screened" and dispute.number != "TJ0000" and dispute.petition_id is None
    body["division"] = tree.liangzhuang.code
    response = _api(people.huayang).post(reverse("dispute-list"), body, format="json")
    assert response.status_code == 400 and "division" in response.json()
    assert Dispute.objects.count() == 1
