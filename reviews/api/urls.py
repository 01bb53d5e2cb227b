from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("reviews/templates", views.TemplateViewSet, basename="reviews-template")
router.register("reviews/campaigns", views.CampaignViewSet, basename="reviews-campaign")
router.register("reviews/levels", views.LevelViewSet, basename="reviews-level")
router.register("reviews/reviews", views.ReviewViewSet, basename="reviews-review")

urlpatterns = [
    path("stats/reviews/", views.ReviewStatsView.as_view(), name="stats-reviews"),
    *router.urls,
]
