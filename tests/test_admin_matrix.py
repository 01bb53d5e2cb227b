"""The permission matrix of the Django admin, generated from ``admin.site._registry``.

The scoped county administrator (a county official of 郾城区 who is staff, like the demo's ``yc_county``; here with
every model permission, so that only the scope stands between it and a row) against every registered ModelAdmin ×
every admin view: changelist, add, change (GET and POST), Django's and simple-history's history pages, the
version page, delete (GET and POST), the bulk delete action and autocomplete, with a row inside its county
(梁庄村) and one outside (江边村, 望江县). Outside is 404 everywhere and never listed; inside answers. A new
ModelAdmin registered without a scope fails here (it is not a ``ScopedModelAdmin``, or its rows from 望江县 show).
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser, Permission
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from simple_history.admin import SimpleHistoryAdmin

from tests.admin_objects import Builder
from villages.admin_scope import ScopedForeignKeys, ScopedModelAdmin
from villages.models import ApiToken, Division

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _label(model):
    return model._meta.label


def _kind(model_admin):
    if model_admin.superuser_only:
        return "superuser_only"
    if model_admin.shared:
        return "shared"
    return "scoped"


def unscoped_admins(registry):
    """The registered admins that do not say how their rows are scoped."""
    problems = []
    for model, model_admin in registry:
        if not isinstance(model_admin, ScopedModelAdmin):
            problems.append(f"{_label(model)}: its admin must be a ScopedModelAdmin")
            continue
        declared = [
            bool(model_admin.scope_field),
            bool(model_admin.shared),
            model_admin.superuser_only,
            type(model_admin).limit_to_scope is not ScopedModelAdmin.limit_to_scope,
        ]
        if not any(declared):
            problems.append(f"{_label(model)}: declare scope_field, shared, superuser_only or limit_to_scope")
    return problems


def test_every_admin_is_scoped():
    assert not unscoped_admins(REGISTRY)


def test_an_admin_registered_without_a_scope_is_found():
    from grids.models import GridAssignment

    site = admin.AdminSite(name="probe")
    site.register(GridAssignment, admin.ModelAdmin)
    assert unscoped_admins(site._registry.items()) == ["grids.GridAssignment: its admin must be a ScopedModelAdmin"]
    site = admin.AdminSite(name="probe")
    site.register(GridAssignment, ScopedModelAdmin)
    assert unscoped_admins(site._registry.items()) == [
        "grids.GridAssignment: declare scope_field, shared, superuser_only or limit_to_scope"
    ]
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert site._registry[GridAssignment].get_queryset(request).query.is_empty()  # it shows nothing until it says


def test_every_inline_is_scoped():
    for model, model_admin in REGISTRY:
        for inline in model_admin.inlines:
            assert hasattr(inline, "formfield_for_foreignkey") and issubclass(inline, admin.options.InlineModelAdmin), (
                inline
            )

            assert issubclass(inline, ScopedForeignKeys), f"{_label(model)}: {inline.__name__} must be a ScopedInline"


def test_history_admins_are_for_models_with_history():
    """simple-history's pages on a model without history were a 500 (Evidence)."""
    for model, model_admin in REGISTRY:
        has_history = hasattr(model, "history") and hasattr(model._meta, "simple_history_manager_attribute")
        if isinstance(model_admin, SimpleHistoryAdmin):
            assert has_history, f"{_label(model)} keeps no history: its admin must not be a history admin"


def test_shared_lists_hold_no_division():
    for model, model_admin in REGISTRY:
        if model_admin.shared or model_admin.superuser_only:
            assert not any(f.related_model is Division for f in model._meta.concrete_fields if f.is_relation), model


@pytest.fixture
def county_admin(tree):
    """The county official of 郾城区, staff with every permission on every registered model."""
    user = tree.users.county
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    models = [model for model, _a in REGISTRY]
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in={m._meta.app_label for m in models},
            content_type__model__in={m._meta.model_name for m in models},
        )
    )
    return user


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _pair(model, builder, tree):
    inside = builder.get(model, tree.liangzhuang)
    if model is ApiToken:  # a user's own tokens are its scope
        outside = builder.build(model, tree.jiangbian, user=tree.users.petition)
    else:
        outside = builder.get(model, tree.jiangbian)
    for obj in (inside, outside):  # a second version, so history pages have a change to show
        if hasattr(model, "history"):
            obj.save()
    return inside, outside


def _autocomplete_source(model):
    from django.apps import apps

    for source in apps.get_models():
        for field in source._meta.concrete_fields:
            if field.is_relation and field.related_model is model and not field.one_to_one:
                return source, field
    return None, None


@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=[_label(m) for m, _a in REGISTRY])
def test_admin_views_stay_in_scope(client, tree, county_admin, model, model_admin):
    client.force_login(county_admin)
    builder = Builder(county_admin)
    inside, outside = _pair(model, builder, tree)
    kind = _kind(model_admin)

    listing = client.get(_url(model, "changelist"))
    if kind == "superuser_only":
        assert listing.status_code == 403
        for view in ("change", "history", "delete"):
            assert client.get(_url(model, view, inside.pk)).status_code in (403, 404), view
        return
    assert listing.status_code == 200
    listed = set(listing.context["cl"].queryset.values_list("pk", flat=True))
    assert inside.pk in listed
    assert (outside.pk in listed) == (kind == "shared"), "a row of 望江县 is listed"
    if kind == "shared":
        for view in ("change", "history"):
            assert client.get(_url(model, view, outside.pk)).status_code == 200, view
        return

    views = ["change", "history", "delete"]
    for view in views:
        response = client.get(_url(model, view, inside.pk))
        assert response.status_code in (200, 403), (view, "inside", response.status_code)
        response = client.get(_url(model, view, outside.pk))
        assert response.status_code == 404, (view, "outside", response.status_code)
        assert client.post(_url(model, view, outside.pk), {"post": "yes"}).status_code == 404, (view, "post")
    assert model._default_manager.filter(pk=outside.pk).exists()

    if hasattr(model, "get_absolute_url"):  # "view on site": Django's redirect found any row by id
        content_type = ContentType.objects.get_for_model(model).pk
        assert client.get(reverse("admin:view_on_site", args=[content_type, inside.pk])).status_code == 302
        assert client.get(reverse("admin:view_on_site", args=[content_type, outside.pk])).status_code == 404

    if isinstance(model_admin, SimpleHistoryAdmin):
        version_in = inside.history.latest("history_id").history_id
        version_out = outside.history.latest("history_id").history_id
        assert client.get(_url(model, "simple_history", inside.pk, version_in)).status_code == 200
        assert client.get(_url(model, "simple_history", outside.pk, version_out)).status_code == 404
        # Another record's version under an id in scope is not found either.
        assert client.get(_url(model, "simple_history", inside.pk, version_out)).status_code == 404

    add = client.get(_url(model, "add"))
    assert add.status_code in (200, 403)
    if add.status_code == 200:
        foreign = {}
        for name in model_admin.raw_id_fields:
            field = model._meta.get_field(name)
            if field.related_model is type(county_admin):  # a user of 望江县 (one without scopes may be named)
                related_out = tree.users.petition
            else:
                related_out = builder.get(field.related_model, tree.jiangbian)
            foreign[name] = (related_out.pk, str(related_out))
        if foreign:
            page = client.get(_url(model, "add"), {name: pk for name, (pk, _s) in foreign.items()})
            for name, (_pk, text) in foreign.items():
                assert text not in page.content.decode(), f"the add page names {name} of 望江县: {text}"

    actions = model_admin.get_actions(listing.wsgi_request)
    if "delete_selected" in actions:
        client.post(
            _url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [outside.pk], "post": "yes"},
        )
        assert model._default_manager.filter(pk=outside.pk).exists(), "the bulk action deleted a row of 望江县"

    if model_admin.get_search_fields(listing.wsgi_request):
        source, field = _autocomplete_source(model)
        if source is not None:
            found = client.get(
                reverse("admin:autocomplete"),
                {"app_label": source._meta.app_label, "model_name": source._meta.model_name, "field_name": field.name},
            )
            assert found.status_code == 200
            ids = {row["id"] for row in found.json()["results"]}
            assert str(outside.pk) not in ids, "autocomplete offers a row of 望江县"


def test_every_registered_admin_has_views_the_matrix_reaches():
    for model, _admin in REGISTRY:
        for view in ("changelist", "add"):
            try:
                _url(model, view)
            except NoReverseMatch as exc:  # pragma: no cover - a broken registration
                raise AssertionError(model) from exc


def test_no_admin_lists_or_edits_id_and_phone_numbers(admin_user):
    """ID and phone numbers are shown, masked or in full by role, and edited only in the application (where they are
    validated and their reading logged); the admin's lists, searches and forms leave them out."""
    request = RequestFactory().get("/")
    request.user = admin_user
    numbers = {"id_number", "phone", "requester_phone"}
    for model, model_admin in REGISTRY:
        if model_admin.superuser_only:
            continue
        shown = set(model_admin.get_list_display(request)) | set(model_admin.get_search_fields(request))
        obj = model()
        shown |= set(model_admin.get_fields(request, obj)) | set(model_admin.get_readonly_fields(request, obj))
        for inline in model_admin.get_inline_instances(request, obj):
            shown |= set(inline.get_fields(request, obj)) | set(inline.get_readonly_fields(request, obj))
        assert not shown & numbers, (_label(model), shown & numbers)
