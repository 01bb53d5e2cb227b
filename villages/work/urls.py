"""URLs of the work records, included by villages/urls.py into the ``villages`` namespace (no app_name here);
every name starts with ``work_``."""

from django.urls import path, register_converter

from . import views


class RecordKindConverter:
    regex = "|".join(sorted(views.RECORD_KINDS, key=len, reverse=True))

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class TopicConverter:
    regex = "|".join(views.TOPICS)

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(RecordKindConverter, "work_kind")
register_converter(TopicConverter, "work_topic")

urlpatterns = [
    path("divisions/<str:code>/work/", views.work_overview, name="work_overview"),
    path("divisions/<str:code>/work/economy/", views.work_economy, name="work_economy"),
    path("divisions/<str:code>/work/meetings/", views.work_meetings, name="work_meetings"),
    path("divisions/<str:code>/work/volunteers/", views.work_volunteers, name="work_volunteers"),
    path("divisions/<str:code>/work/livability/", views.work_livability, name="work_livability"),
    path("divisions/<str:code>/work/training/", views.work_training, name="work_training"),
    path("divisions/<str:code>/work/<work_topic:topic>.xlsx", views.work_export, name="work_export"),
    path("divisions/<str:code>/work/meetings/new/", views.work_meeting_create, name="work_meeting_create"),
    path("divisions/<str:code>/work/<work_kind:kind>/new/", views.work_create, name="work_create"),
    path("work/meetings/<int:pk>/", views.work_meeting, name="work_meeting"),
    path("work/meetings/<int:pk>/edit/", views.work_meeting_edit, name="work_meeting_edit"),
    path("work/<work_kind:kind>/<int:pk>/", views.work_record, name="work_record"),
    path("work/<work_kind:kind>/<int:pk>/edit/", views.work_edit, name="work_edit"),
    path("work/project/<int:pk>/returns/", views.work_project_return, name="work_project_return"),
    path("work/training/<int:pk>/attendance/<str:code>/", views.work_attendance, name="work_attendance"),
]
