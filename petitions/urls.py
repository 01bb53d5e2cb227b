from django.urls import path

from . import views

app_name = "petitions"

urlpatterns = [
    path("", views.index, name="index"),
    path("divisions/<str:code>/", views.board, name="board"),
    path("divisions/<str:code>/cases/", views.case_list, name="list"),
    path("divisions/<str:code>/cases/ledger.xlsx", views.ledger, name="ledger"),
    path("divisions/<str:code>/cases/new/", views.register, name="register"),
    path("divisions/<str:code>/disputes/", views.disputes, name="disputes"),
    path("divisions/<str:code>/disputes/ledger.xlsx", views.dispute_ledger, name="dispute_ledger"),
    path("divisions/<str:code>/disputes/new/", views.dispute_create, name="dispute_create"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("cases/<int:pk>/steps/<slug:action>/", views.case_action, name="case_action"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("disputes/<int:pk>/", views.dispute_detail, name="dispute"),
    path("disputes/<int:pk>/steps/<slug:action>/", views.dispute_action, name="dispute_action"),
]
