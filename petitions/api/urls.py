from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("petitions", views.PetitionViewSet, basename="petition")
router.register("disputes", views.DisputeViewSet, basename="dispute")

urlpatterns = [
    path("stats/petitions/", views.PetitionStatsView.as_view(), name="stats-petitions"),
    *router.urls,
]
