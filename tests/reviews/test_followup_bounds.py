"""Issue 20, finding 14: a rectification measure's dates and text are bounded on the page and over the API,
field by field and nothing written (a 9 MB measure text used to be stored); a save of a measure that changes
nothing writes no history entry."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from reviews.followup.models import Measure
from tests.reviews.followup_data import make_followup
from villages.history import audited_save
from villages.validators import NOTE_MAX, TEXT_MAX

TODAY = timezone.localdate()
TOO_FAR = (TODAY + datetime.timedelta(days=365 * 10 + 5)).isoformat()


@pytest.fixture
def f(tree, campaign, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return make_followup(tree, campaign)


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


BAD = [
    ("deadline", "0001-01-01", "1949年10月1日"),
    ("deadline", "9999-12-31", "10"),
    ("deadline", TOO_FAR, "10"),
    ("content", "措" * (TEXT_MAX + 1), str(TEXT_MAX)),
]


@pytest.mark.parametrize(("field", "value", "says"), BAD)
def test_a_measure_out_of_bounds_is_refused_on_the_page(client, tree, f, field, value, says):
    client.force_login(tree.users.township)
    before = Measure.objects.count()
    data = {"content": "更新公开栏", "owner": "梁绍正", "deadline": TODAY.isoformat(), field: value}
    response = client.post(reverse("followup:measure_add", args=[f.plan.pk]), data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and says in " ".join(errors[field]), errors
    assert Measure.objects.count() == before


@pytest.mark.parametrize(("field", "value", "says"), BAD)
def test_a_measure_out_of_bounds_is_refused_over_the_api(tree, f, field, value, says):
    before = Measure.objects.count()
    body = {"plan": f.plan.pk, "content": "更新公开栏", "owner": "梁绍正", "deadline": TODAY.isoformat(), field: value}
    response = _api(tree.users.township).post(
        reverse("followup-measure-list"), body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400 and field in response.json(), response.content
    assert says in " ".join(response.json()[field])
    assert Measure.objects.count() == before


def test_a_measure_step_refuses_a_future_completion_and_an_endless_note(tree, f):
    api = _api(tree.users.township)
    url = reverse("followup-measure-done", args=[f.measure.pk])
    response = api.post(url, {"completed_on": "9999-12-31"}, format="json")
    assert response.status_code == 400 and "completed_on" in response.json(), response.content
    f.measure.refresh_from_db()
    assert f.measure.completed_on is None
    response = api.post(
        reverse("followup-measure-send-back", args=[f.measure.pk]), {"reason": "x" * (NOTE_MAX + 1)}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json(), response.content


def test_a_measure_saved_unchanged_writes_no_history_and_a_change_writes_one(tree, f):
    measure = Measure.objects.get(pk=f.measure.pk)
    history = measure.history.count()
    audited_save(measure, actor=tree.users.township)
    assert measure.history.count() == history
    measure.owner = "梁新"
    audited_save(measure, actor=tree.users.township)
    assert measure.history.count() == history + 1
    assert measure.history.latest("history_id").owner == "梁新"


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield
