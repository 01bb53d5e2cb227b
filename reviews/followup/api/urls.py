"""API of the follow-up records, included by config/urls.py under /api/v1/; every route name starts with
``followup-``."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("followup/evaluations", views.EvaluationViewSet, basename="followup-evaluation")
router.register("followup/talks", views.TalkViewSet, basename="followup-talk")
router.register("followup/problems", views.ProblemViewSet, basename="followup-problem")
router.register("followup/common-measures", views.CommonMeasureViewSet, basename="followup-common-measure")
router.register("followup/plans", views.PlanViewSet, basename="followup-plan")
router.register("followup/measures", views.MeasureViewSet, basename="followup-measure")
router.register("followup/record-entries", views.RecordEntryViewSet, basename="followup-record-entry")
router.register("followup/publications", views.PublicationViewSet, basename="followup-publication")
router.register("followup/adjustments", views.AdjustmentBasisViewSet, basename="followup-adjustment")

urlpatterns = [
    path("followup/summary/<str:code>/", views.SummaryView.as_view(), name="followup-summary"),
    *router.urls,
]
