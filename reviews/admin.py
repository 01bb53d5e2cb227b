"""The Django admin, scoped like villages/admin.py. Scores and levels change only through the application (its
services keep the versioning and the state machine); templates not yet in use can be edited here."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from villages.admin_history import AuditTrailAdmin as SimpleHistoryAdmin
from villages.admin_scope import ReadOnlyAdminMixin, ScopedModelAdmin
from villages.scopes import is_unrestricted

from .models import (
    Campaign,
    Check,
    Element,
    Item,
    PostRating,
    Review,
    ReviewLevel,
    SampleDraw,
    ScorecardTemplate,
    VetoRule,
    county_scope_q,
)


class TemplatePartForm(forms.ModelForm):
    """Refuses a part added to (or moved into) a template that a campaign uses: the scorecards scored against it,
    and the rules cached from it (reviews.rules), rest on its never changing."""

    def clean(self):
        cleaned = super().clean()
        check, element, item = cleaned.get("parent_check"), cleaned.get("element"), cleaned.get("item")
        found = [
            cleaned.get("template"),
            check.template if check else None,
            element.parent_check.template if element else None,
            item.template if item else None,
        ]
        for template in {t for t in found if t is not None}:
            if template.in_use:
                raise ValidationError(
                    _(
                        "%(template)s is in use by a campaign, so nothing can be added to it or changed in it. Copy "
                        "it into a new version instead."
                    )
                    % {"template": template},
                    code="template_in_use",
                )
        return cleaned


class TemplatePartAdmin(SimpleHistoryAdmin):
    """Parts of a template: visible with their template, added or changed only while no campaign uses it."""

    form = TemplatePartForm
    template_path = "template"

    def limit_to_scope(self, request, qs):
        visible = ScorecardTemplate.objects.visible_to(request.user).values("pk")
        return qs.filter(**{f"{self.template_path}__in": visible})

    def _template(self, obj):
        for part in self.template_path.split("__"):
            obj = getattr(obj, part)
        return obj

    def has_change_permission(self, request, obj=None):
        if obj is not None and self._template(obj).in_use:
            return False
        if obj is not None and self._template(obj).division_id is None and not is_unrestricted(request.user):
            return False
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission


@admin.register(ScorecardTemplate)
class ScorecardTemplateAdmin(TemplatePartAdmin):
    form = forms.ModelForm
    template_path = "pk"
    list_display = ["name", "year", "version", "division", "status"]
    list_filter = ["status", "year"]
    raw_id_fields = ["division", "copied_from"]

    def limit_to_scope(self, request, qs):
        return qs.filter(pk__in=ScorecardTemplate.objects.visible_to(request.user).values("pk"))

    def _template(self, obj):
        return obj


@admin.register(Check)
class CheckAdmin(TemplatePartAdmin):
    list_display = ["name", "number", "template"]


@admin.register(Element)
class ElementAdmin(TemplatePartAdmin):
    template_path = "parent_check__template"
    list_display = ["name", "number", "parent_check"]


@admin.register(Item)
class ItemAdmin(TemplatePartAdmin):
    list_display = ["number", "content", "max_points", "rule", "note_required", "template"]
    list_filter = ["rule", "note_required"]
    search_fields = ["content"]
    raw_id_fields = ["element"]


@admin.register(VetoRule)
class VetoRuleAdmin(TemplatePartAdmin):
    list_display = ["name", "grade", "item", "template"]
    raw_id_fields = ["item"]


class ReadOnlyScopedRecordsAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """Records of the review process without history (an evidence file): shown, changed only through the
    application."""

    scope_field = "village__code"


class ReadOnlyScopedAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Records of the review process: shown with their history, changed only through the application."""

    scope_field = "village__code"


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "division", "template", "start_date", "end_date"]

    def limit_to_scope(self, request, qs):
        return qs.filter(county_scope_q(request.user, "division__code"))


@admin.register(Review)
class ReviewAdmin(ReadOnlyScopedAdmin):
    list_display = ["village", "campaign", "sampled", "final_grade", "final_stage"]
    list_filter = ["final_grade", "sampled"]
    search_fields = ["village__name", "village__code"]


@admin.register(ReviewLevel)
class ReviewLevelAdmin(ReadOnlyScopedAdmin):
    scope_field = "review__village__code"
    list_display = ["review", "level", "status", "version", "total_score", "grade", "updated_at"]
    list_filter = ["level", "status", "grade"]


@admin.register(PostRating)
class PostRatingAdmin(ReadOnlyScopedAdmin):
    scope_field = "review__village__code"
    list_display = ["review", "post", "grade", "rated_at"]


@admin.register(SampleDraw)
class SampleDrawAdmin(ReadOnlyScopedAdmin):
    list_display = ["campaign", "share", "minimum", "seed", "drawn_at"]

    def limit_to_scope(self, request, qs):
        return qs.filter(county_scope_q(request.user, "campaign__division__code"))


from .followup import admin as followup_admin  # noqa: E402,F401
