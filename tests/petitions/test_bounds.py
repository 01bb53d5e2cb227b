"""Issue 20, finding 14: a petition's and a dispute's dates are bounded (not before 1949-10-01, not after today)
and their free text by length, field by field on the page and in the API, nothing written; a step's note too."""

import pytest
from django.urls import reverse
from django.utils import translation

from petitions.models import Dispute, Petition, PetitionStep
from tests.petitions.test_api import _api
from tests.petitions.test_api import _registration as _api_registration
from tests.petitions.test_views import WJ
from tests.petitions.test_views import _registration as _page_registration
from villages.validators import TEXT_MAX


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("received_on", "0001-01-01", "1949年10月1日"),
        ("received_on", "1949-09-30", "1949年10月1日"),
        ("received_on", "9999-12-31", "今天"),
        ("content", "长" * (TEXT_MAX + 1), str(TEXT_MAX)),
    ],
)
def test_registration_refuses_out_of_bounds_values_on_the_page(client, tree, field, value, says):
    client.force_login(tree.users.petition)
    response = client.post(reverse("petitions:register", args=[WJ]), _page_registration(tree, **{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and says in " ".join(errors[field]), errors
    assert not Petition.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("received_on", "0001-01-01", "1949年10月1日"),
        ("received_on", "9999-12-31", "今天"),
        ("content", "长" * (TEXT_MAX + 1), str(TEXT_MAX)),
        ("subject", "x" * 1000, "200"),
    ],
)
def test_registration_refuses_out_of_bounds_values_over_the_api(tree, people, field, value, says):
    response = _api(people.wj_officer).post(
        reverse("petition-list"),
        _api_registration(tree, **{field: value}),
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400 and field in response.json(), response.content
    assert says in " ".join(map(str, response.json()[field]))
    assert not Petition.objects.exists()


def test_a_step_refuses_a_date_before_1949_and_an_endless_note(tree, people, make_case):
    case = make_case("registered")
    api = _api(people.wj_officer)
    steps = PetitionStep.objects.count()
    response = api.post(
        reverse("petition-assign", args=[case.pk]), {"unit": tree.huayang.code, "on": "0001-01-01"}, format="json"
    )
    assert response.status_code == 400 and "on" in response.json(), response.content
    response = api.post(reverse("petition-refuse", args=[case.pk]), {"reason": "理" * (TEXT_MAX + 1)}, format="json")
    assert response.status_code == 400, response.content
    assert PetitionStep.objects.count() == steps
    case.refresh_from_db()
    assert case.status == "registered"


@pytest.mark.parametrize(
    ("field", "value"), [("screened_on", "0001-01-01"), ("screened_on", "9999-12-31"), ("summary", "纠" * 10_001)]
)
def test_a_dispute_refuses_out_of_bounds_values_on_the_page_and_over_the_api(client, tree, people, field, value):
    body = {
        "division": tree.jiangbian.code, "source": "grid", "grid_reference": "第3网格", "screened_on": "2026-05-01",
        "category": "land", "risk_level": "high", "summary": "承包地边界纠纷",
        "parties": [{"name": "甲", "phone": "13900001111"}, {"name": "乙"}],
    }  # fmt: skip
    response = _api(people.huayang).post(reverse("dispute-list"), body | {field: value}, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    client.force_login(people.huayang)
    url = reverse("petitions:dispute_create", args=[tree.huayang.code])
    page = {
        "division": tree.jiangbian.pk, "source": "grid", "screened_on": "2026-05-01", "category": "land",
        "risk_level": "high", "summary": "承包地边界纠纷",
        "d-TOTAL_FORMS": "2", "d-INITIAL_FORMS": "0", "d-MIN_NUM_FORMS": "0", "d-MAX_NUM_FORMS": "10",
        "d-0-name": "甲", "d-1-name": "乙",
    }  # fmt: skip
    response = client.post(url, page | {field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert not Dispute.objects.exists()
