"""The admin shows a record's history but never changes it, nor the record through it.

simple-history's history view lists the versions; its version page can post the record back to an old version
("revert"), which would write the record around the services and their checks. Every admin of a record with
history uses this class: the version page is read-only (a POST is refused) and the revert button is hidden.
Historical models are never registered in the admin, so their rows cannot be edited or deleted there.
"""

from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class AuditTrailAdmin(SimpleHistoryAdmin):
    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
