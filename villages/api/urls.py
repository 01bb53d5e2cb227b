from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import series, stats, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("divisions", views.DivisionViewSet, basename="division")
router.register("cadres", views.CadreViewSet, basename="cadre")
router.register("posts", views.PostViewSet, basename="post")
router.register("adjustments", views.AdjustmentViewSet, basename="adjustment")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("stats/", stats.StatsIndexView.as_view(), name="stats-index"),
    path("stats/stars/", stats.StarsStatsView.as_view(), name="stats-stars"),
    path("stats/watch/", stats.WatchListView.as_view(), name="stats-watch"),
    path("stats/metrics/<str:key>/", stats.MetricStatsView.as_view(), name="stats-metric"),
    path("stats/series/", series.SeriesView.as_view(), name="stats-series"),
    path("stats/changes/", series.ChangesView.as_view(), name="stats-changes"),
    *router.urls,
    path("", include("villages.work.api.urls")),
]
