"""The admin shows a record's history but never changes it, nor the record through it, and shows it only to those
who may see the record.

simple-history's history view lists the versions; its version page can post the record back to an old version
("revert"), which would write the record around the services and their checks. Every admin of a record with
history uses this class: the version page is read-only (a POST is refused) and the revert button is hidden.
Historical models are never registered in the admin, so their rows cannot be edited or deleted there.

simple-history reads the versions of any id it is given: its history view falls back to the historical rows when
the object is not in the admin's queryset, and its version page does not look at the queryset at all. Here both
ask ``ScopedModelAdmin.scoped_object_or_404`` first: out of scope (or deleted, for anyone but a superuser) is 404.
ID and phone numbers in the listed changes are masked for the roles that see them masked in pages, and every
showing of a record with personal data is logged.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from .admin_scope import ScopedModelAdmin, log_admin_access, personal_fields
from .validators import mask_id_number, mask_phone

MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "requester_phone": mask_phone}


class MaskedRecordContextHelper(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change, value):
        mask = MASKERS.get(change.field)
        if mask is not None:
            return mask(value or "")
        return super().prepare_delta_change_value(change, value)


class AuditTrailAdmin(ScopedModelAdmin, SimpleHistoryAdmin):
    def revert_disabled(self, request, obj=None):
        return True

    def history_view(self, request, object_id, extra_context=None):
        obj = self.scoped_object_or_404(request, object_id)
        # Read by get_historical_record_context_helper, which simple-history calls with the version, not the record.
        request._shanzhi_full_personal_data = self.sees_full_personal_data(request, obj)
        if personal_fields(self.model):
            log_admin_access(request, self.model, [obj.pk if obj is not None else object_id])
        return super().history_view(request, object_id, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        if getattr(request, "_shanzhi_full_personal_data", False):
            return super().get_historical_record_context_helper(request, historical_record)
        return MaskedRecordContextHelper(self.model, historical_record)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied
        if not str(version_id).isdigit():
            raise Http404
        obj = self.scoped_object_or_404(request, object_id)
        version = obj if obj is not None else self.model()
        shown = self.shown_personal_fields(request, version)
        if shown:
            log_admin_access(request, self.model, [obj.pk if obj is not None else object_id])
        return super().history_form_view(request, object_id, version_id, extra_context)
