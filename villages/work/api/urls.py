"""API of the work records, included by villages/api/urls.py under /api/v1/; every route name starts with
``work-``."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("work/incomes", views.IncomeViewSet, basename="work-income")
router.register("work/projects", views.ProjectViewSet, basename="work-project")
router.register("work/workshops", views.WorkshopViewSet, basename="work-workshop")
router.register("work/meeting-kinds", views.MeetingKindViewSet, basename="work-meeting-kind")
router.register("work/meetings", views.MeetingViewSet, basename="work-meeting")
router.register("work/stations", views.StationViewSet, basename="work-station")
router.register("work/volunteer-teams", views.TeamViewSet, basename="work-team")
router.register("work/volunteer-activities", views.ActivityViewSet, basename="work-activity")
router.register("work/infrastructure", views.InfrastructureViewSet, basename="work-infrastructure")
router.register("work/inspections", views.InspectionViewSet, basename="work-inspection")
router.register("work/training", views.TrainingViewSet, basename="work-training")
router.register("work/training-attendance", views.AttendanceViewSet, basename="work-attendance")

urlpatterns = [
    path("work/figures/<str:code>/", views.FiguresView.as_view(), name="work-figures"),
    *router.urls,
]
