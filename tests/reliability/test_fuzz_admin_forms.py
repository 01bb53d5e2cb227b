"""Fuzzed posts of the Django admin's change forms (hypothesis), as the scoped county administrator of 郾城区 with
every model permission: every registered admin whose change form it may save, on a row of its county. Each post
starts from the form as the page renders it and has up to 6 fields replaced with hostile values, ids of rows in
望江县, or left out. Whatever is sent: no server error; a post that is not accepted saves nothing (the row, the
model's row count and the history are unchanged); an accepted one leaves the row inside the county.

FUZZ_ADMIN_EXAMPLES sets the posts per form (default 4: the whole file runs in seconds).
"""

import os

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.admin_objects import Builder
from tests.html_forms import post_forms
from tests.reliability.test_fuzz_forms import HOSTILE
from tests.test_admin_matrix import REGISTRY, county_admin  # noqa: F401 (fixture)
from villages.admin_scope import ReadOnlyAdminMixin

EXAMPLES = int(os.environ.get("FUZZ_ADMIN_EXAMPLES", 4))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The admins a county administrator may change (the read-only ones, ReadOnlyAdminMixin, have no form to post).
EDITABLE = [(m, a) for m, a in REGISTRY if not a.superuser_only and not isinstance(a, ReadOnlyAdminMixin)]


def _snapshot(model, obj):
    row = model._default_manager.filter(pk=obj.pk).first()
    history = obj.history.count() if hasattr(model, "history") else 0
    return (model_to_dict(row) if row else None, model._default_manager.count(), history)


@pytest.mark.parametrize(("model", "model_admin"), EDITABLE, ids=[m._meta.label for m, _a in EDITABLE])
def test_admin_change_form_is_fuzzed(client, tree, county_admin, model, model_admin):  # noqa: F811
    builder = Builder(county_admin)
    obj = builder.get(model, tree.liangzhuang)
    foreign = [str(builder.get(model, tree.jiangbian).pk), str(tree.jiangbian.pk), str(tree.far.cadre.pk)]
    client.force_login(county_admin)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    page = client.get(url)
    assert page.status_code == 200
    forms = [f for f in post_forms(page.content) if f.attrs.get("id", "").endswith("_form")]
    assert forms and b'name="_save"' in page.content, "an admin without a form to post is a ReadOnlyAdminMixin"
    base = forms[0].fields
    fields = sorted(set(base) - {"csrfmiddlewaretoken"})
    values = st.one_of(st.sampled_from(HOSTILE + foreign), st.text(max_size=20))
    mutations = st.dictionaries(st.sampled_from(fields), st.one_of(st.none(), values), min_size=1, max_size=6)

    @SETTINGS
    @given(mutation=mutations)
    def run(mutation):
        before = _snapshot(model, obj)
        data = {k: v for k, v in base.items() if mutation.get(k, "") is not None}
        data.update({k: v for k, v in mutation.items() if v is not None})
        data["_save"] = "1"
        response = client.post(url, data)
        assert response.status_code < 500, (mutation, response.status_code)
        if response.status_code == 302:
            assert model_admin.get_queryset(page.wsgi_request).filter(pk=obj.pk).exists(), mutation
        else:
            assert _snapshot(model, obj) == before, mutation

    run()
