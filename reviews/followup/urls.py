"""URLs of the follow-up records, mounted at /followup/ in their own ``followup`` namespace."""

from django.urls import path

from . import views

app_name = "followup"

urlpatterns = [
    path("divisions/<str:code>/", views.overview, name="overview"),
    path("divisions/<str:code>/ledger.xlsx", views.ledger, name="ledger"),
    path("divisions/<str:code>/problems/", views.problems, name="problems"),
    path("divisions/<str:code>/problems/new/", views.problem_create, name="problem_create"),
    path("divisions/<str:code>/common-measures/new/", views.common_measure_create, name="common_measure_create"),
    path("divisions/<str:code>/plan/new/", views.plan_create, name="plan_create"),
    path("divisions/<str:code>/evaluations/", views.evaluations, name="evaluations"),
    path("divisions/<str:code>/evaluations/new/", views.evaluation_create, name="evaluation_create"),
    path("divisions/<str:code>/talks/", views.talks, name="talks"),
    path("divisions/<str:code>/talks/new/", views.talk_create, name="talk_create"),
    path("divisions/<str:code>/books/", views.books, name="books"),
    path("divisions/<str:code>/books/new/", views.entry_add, name="entry_add"),
    path("divisions/<str:code>/books/publish/", views.publish, name="publish"),
    path("problems/<int:pk>/", views.problem, name="problem"),
    path("common-measures/<int:pk>/", views.common_measure, name="common_measure"),
    path("plans/<int:pk>/", views.plan, name="plan"),
    path("plans/<int:pk>/measures/new/", views.measure_add, name="measure_add"),
    path("measures/<int:pk>/", views.measure, name="measure"),
    path("measures/<int:pk>/done/", views.measure_done, name="measure_done"),
    path("measures/<int:pk>/close/", views.measure_close, name="measure_close"),
    path("measures/<int:pk>/send-back/", views.measure_send_back, name="measure_send_back"),
    path("measures/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
    path("evaluations/<int:pk>/", views.evaluation_meeting, name="evaluation_meeting"),
    path("talks/<int:pk>/", views.talk, name="talk"),
    path("publications/<int:pk>/", views.publication, name="publication"),
    path("posts/<int:pk>/adjust/", views.adjust, name="adjust"),
]
