"""Every admin of the project goes through the user's scope, in every view, the way the pages do.

``ScopedModelAdmin`` is the base of every registered ModelAdmin (``tests/test_admin_matrix.py`` fails on one that
is not). It declares where its rows' division code is (``scope_field``), or why its rows belong to no division
(``shared``: lists every county reads alike), or that only system administrators see it (``superuser_only``), or
overrides ``limit_to_scope``. Then every view reads through ``get_queryset``:

- change, delete and Django's history view look the object up with ``get_object``: outside the queryset is 404
  (not the admin's "doesn't exist" redirect); simple-history's history pages check it too (``AuditTrailAdmin``);
- foreign keys offer only the rows the related model's admin (or ``visible_to``) shows, and a raw-id widget names
  only those: a foreign id put in the address (``?division=…``) or the form is refused on its field, never named;
- the delete summary never names a related row outside the scope (deleting it is refused instead);
- a save that would put the row outside the scope (a code typed in) is refused and rolled back;
- every read of personal data (ID and phone numbers, birth dates) is logged as in pages and the API, and the
  history masks ID and phone numbers for the roles that may not see them in pages.

The changelist, bulk actions and autocomplete read ``get_queryset`` in Django itself.
"""

from django.contrib import admin
from django.contrib.admin.utils import NestedObjects, unquote
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import router
from django.http import Http404

from . import personal_data
from .models import PersonalDataAccess
from .scopes import is_unrestricted, scope_q, sees_personal_data

# The fields whose values are personal data (the cadre's, and a service request's requester phone): reading them in
# the admin is logged.
PERSONAL_FIELDS = (*personal_data.PERSONAL_FIELDS, "requester_phone")


def personal_fields(model) -> list[str]:
    names = []
    for name in PERSONAL_FIELDS:
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        names.append(name)
    return names


def log_admin_access(request, model, ids) -> None:
    """One ``PersonalDataAccess`` row for the records whose personal data an admin page showed."""
    ids = [pk for pk in ids if pk is not None]
    if ids:
        PersonalDataAccess.objects.create(
            user=request.user,
            model=model._meta.label,
            object_ids=ids,
            context=PersonalDataAccess.Context.ADMIN,
            path=request.get_full_path()[:300],
        )


def related_queryset(admin_site, model, request):
    """The rows of ``model`` the user may pick or see named in a form: its admin's queryset, else ``visible_to``;
    None for a model that belongs to no division (users, shared lists)."""
    related_admin = admin_site._registry.get(model)
    if isinstance(related_admin, ScopedModelAdmin):
        return related_admin.choices_queryset(request)
    visible_to = getattr(model._default_manager, "visible_to", None)
    if visible_to is not None:
        return visible_to(request.user)
    return None


class ReadOnlyAdminMixin:
    """Shown in the admin, never added, changed or deleted there (records of what happened, or changed only
    through the application's services)."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """Names the chosen row only if it is among the rows the user may pick (Django's reads any row by id)."""

    def __init__(self, rel, admin_site, *, queryset, **kwargs):
        self.queryset = queryset
        super().__init__(rel, admin_site, **kwargs)

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            known = self.queryset.filter(**{key: value}).exists()
        except (ValueError, ValidationError, TypeError):
            known = False
        return super().label_and_url_for_value(value) if known else ("", "")


class ScopedForeignKeys:
    """Foreign keys of a form (a ModelAdmin's or an inline's) limited to the rows the user may see."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = related_queryset(self.admin_site, db_field.related_model, request)
            if queryset is not None:
                kwargs["queryset"] = queryset
        queryset = kwargs.get("queryset")
        if queryset is not None and "widget" not in kwargs and db_field.name in self.raw_id_fields:
            kwargs["widget"] = ScopedRawIdWidget(
                db_field.remote_field, self.admin_site, queryset=queryset, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedInline(ScopedForeignKeys, admin.TabularInline):
    pass


class ScopedModelAdmin(ScopedForeignKeys, admin.ModelAdmin):
    scope_field: str | None = None  # the path to the division code of a row, e.g. "division__code"
    shared: str = ""  # why the rows belong to no division (a list every county reads alike)
    superuser_only = False  # system records: shown to superusers only

    def get_queryset(self, request):
        return self.limit_to_scope(request, super().get_queryset(request))

    def limit_to_scope(self, request, qs):
        """The rows of ``qs`` the user may see in the admin: override this (not ``get_queryset``) for another rule."""
        if self.superuser_only:
            return qs if is_unrestricted(request.user) else qs.none()
        if self.scope_field:
            return qs.filter(scope_q(request.user, self.scope_field))
        if self.shared:
            return qs
        return qs.none()  # an admin that declares no scope shows nothing (and fails tests/test_admin_matrix.py)

    def choices_queryset(self, request):
        """The rows a form of another admin may point at (and name): None for rows that belong to no division."""
        if self.shared or self.superuser_only:
            return None
        return self.get_queryset(request)

    # -- superuser-only admins --------------------------------------------------------------------------------
    def has_module_permission(self, request):
        if self.superuser_only and not is_unrestricted(request.user):
            return False
        return super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        if self.superuser_only and not is_unrestricted(request.user):
            return False
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        if self.superuser_only and not is_unrestricted(request.user):
            return False
        return super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        if self.superuser_only and not is_unrestricted(request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self.superuser_only and not is_unrestricted(request.user):
            return False
        return super().has_delete_permission(request, obj)

    # -- one object: in the queryset or 404 -------------------------------------------------------------------
    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def scoped_object_or_404(self, request, object_id):
        """The object if the user's queryset holds it; None for a deleted object's history, to superusers only."""
        pk = unquote(object_id)
        try:
            return self.get_queryset(request).get(pk=pk)
        except (self.model.DoesNotExist, ValidationError, ValueError, TypeError):
            pass
        history = getattr(self.model, "history", None)
        if history is not None and is_unrestricted(request.user):
            try:
                if history.filter(**{self.model._meta.pk.attname: pk}).exists():
                    return None
            except (ValidationError, ValueError, TypeError):
                pass
        raise Http404

    # -- deleting: the summary names nothing outside the scope ------------------------------------------------
    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if is_unrestricted(request.user):
            return deleted, counts, perms_needed, protected
        collector = NestedObjects(using=router.db_for_write(self.model))
        collector.collect(objs)
        found: dict = {}
        for model, instances in collector.model_objs.items():
            found.setdefault(model, set()).update(o.pk for o in instances)
        for obj in collector.protected:
            found.setdefault(type(obj), set()).add(obj.pk)
        for model, pks in found.items():
            queryset = related_queryset(self.admin_site, model, request)
            if queryset is not None and queryset.filter(pk__in=pks).count() < len(pks):
                perms_needed.add(model._meta.verbose_name)
        if perms_needed:
            protected = []
        return deleted, counts, perms_needed, protected

    # -- saving: never a row outside the scope ----------------------------------------------------------------
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not is_unrestricted(request.user) and not self.get_queryset(request).filter(pk=obj.pk).exists():
            raise PermissionDenied  # the view's transaction rolls the save back

    # -- personal data ----------------------------------------------------------------------------------------
    def scope_code(self, obj) -> str | None:
        """The division code that scopes ``obj`` (for who may read its full personal data)."""
        if obj is None or not self.scope_field:
            return None
        value = obj
        for part in self.scope_field.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    def sees_full_personal_data(self, request, obj) -> bool:
        if is_unrestricted(request.user):
            return True
        code = self.scope_code(obj)
        return bool(code) and sees_personal_data(request.user, code)

    def shown_personal_fields(self, request, obj) -> list[str]:
        shown = set(self.get_fields(request, obj)) | set(self.get_readonly_fields(request, obj))
        return [name for name in personal_fields(self.model) if name in shown]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            shown = self.shown_personal_fields(request, obj)
            if any(getattr(obj, name, None) for name in shown):
                log_admin_access(request, self.model, [obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)
