from django.urls import path

from . import views

app_name = "grids"

urlpatterns = [
    path("divisions/<str:code>/", views.board, name="board"),
    path("divisions/<str:code>/map/", views.grid_map, name="map"),
    path("divisions/<str:code>/requests/", views.request_list, name="request_list"),
    path("divisions/<str:code>/grids/new/", views.grid_create, name="grid_create"),
    path("divisions/<str:code>/members/new/", views.member_create, name="member_create"),
    path(
        "divisions/<str:code>/households/import/", views.household_import_moved, name="household_import"
    ),  # retired: redirects
    path("divisions/<str:code>/households.xlsx", views.household_ledger, name="household_ledger"),
    path("grid/<int:pk>/", views.grid_detail, name="grid"),
    path("grid/<int:pk>/edit/", views.grid_edit, name="grid_edit"),
    path("grid/<int:pk>/roles/new/", views.assignment_add, name="assignment_add"),
    path("grid/<int:pk>/households/new/", views.household_create, name="household_create"),
    path("grid/<int:pk>/requests/new/", views.request_create, name="request_create"),
    path("roles/<int:pk>/end/", views.assignment_end, name="assignment_end"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/visits/", views.visit_add, name="visit_add"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/step/", views.request_step, name="request_step"),
    path("requests/<int:pk>/supervise/", views.request_supervise, name="request_supervise"),
    path("mine/", views.my_requests, name="my_requests"),
    path("catalogue/", views.catalogue, name="catalogue"),
]
