from django.urls import include, path

from . import star_views, views, watch_views

app_name = "villages"

urlpatterns = [
    path("todo/count/", views.todo_count, name="todo_count"),
    path("divisions/<str:code>/", views.division_detail, name="division"),
    path("divisions/<str:code>/cadres/new/", views.cadre_create, name="cadre_create"),
    path("divisions/<str:code>/ledger/divisions.xlsx", views.division_ledger, name="division_ledger"),
    path("divisions/<str:code>/ledger/cadres.xlsx", views.cadre_ledger, name="cadre_ledger"),
    path("divisions/<str:code>/import/", views.ledger_import_moved, name="import"),  # retired: redirects
    path("divisions/<str:code>/stars/", star_views.division_stars, name="stars"),
    path("divisions/<str:code>/stars/apply/", star_views.star_apply, name="star_apply"),
    path("stars/<int:pk>/township/", star_views.star_township_review, name="star_township"),
    path("stars/<int:pk>/county/", star_views.star_county_decide, name="star_county"),
    path("stars/<int:pk>/notice/", star_views.star_publish_notice, name="star_notice"),
    path("stars/<int:pk>/award/", star_views.star_confirm, name="star_award"),
    path("stars/<int:pk>/remove/", star_views.star_remove, name="star_remove"),
    path("divisions/<str:code>/watch/", watch_views.watch_page, name="watch"),
    path("divisions/<str:code>/watch/thresholds/", watch_views.watch_settings, name="watch_settings"),
    path("divisions/<str:code>/adjustments/", watch_views.adjustments_page, name="adjustments"),
    path("cadres/<int:pk>/", views.cadre_detail, name="cadre"),
    path("cadres/<int:pk>/edit/", views.cadre_edit, name="cadre_edit"),
    path("cadres/<int:pk>/posts/", views.post_add, name="post_add"),
    path("posts/<int:pk>/adjust/", views.post_adjust, name="post_adjust"),
    path("", include("villages.work.urls")),
    path("", include("villages.onboarding.urls")),
    path("", include("villages.imports.urls")),
    path("", include("villages.notifications.urls")),
]
