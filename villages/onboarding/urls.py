"""URLs of a county's first steps, included by villages/urls.py into the ``villages`` namespace (no app_name here);
every name starts with ``onboard_``."""

from django.urls import path

from . import views

urlpatterns = [
    path("start/", views.start, name="onboard_start"),
    path("divisions/<str:code>/checklist/", views.checklist, name="onboard_checklist"),
    path("divisions/<str:code>/recompute/", views.recompute, name="onboard_recompute"),
    path("divisions/<str:code>/users/", views.user_list, name="onboard_users"),
    path("divisions/<str:code>/users/new/", views.user_create, name="onboard_user_create"),
    path("users/<int:pk>/", views.user_detail, name="onboard_user"),
    path("users/<int:pk>/scopes/", views.scope_grant, name="onboard_scope_grant"),
    path("users/<int:pk>/active/", views.user_active, name="onboard_user_active"),
    path("users/<int:pk>/password/", views.user_password, name="onboard_user_password"),
    path("scopes/<int:pk>/revoke/", views.scope_revoke, name="onboard_scope_revoke"),
]
