from django.urls import path

from . import views

app_name = "villages"

urlpatterns = [
    path("divisions/<str:code>/", views.division_detail, name="division"),
    path("divisions/<str:code>/cadres/new/", views.cadre_create, name="cadre_create"),
    path("divisions/<str:code>/ledger/divisions.xlsx", views.division_ledger, name="division_ledger"),
    path("divisions/<str:code>/ledger/cadres.xlsx", views.cadre_ledger, name="cadre_ledger"),
    path("divisions/<str:code>/import/", views.ledger_import, name="import"),
    path("cadres/<int:pk>/", views.cadre_detail, name="cadre"),
    path("cadres/<int:pk>/edit/", views.cadre_edit, name="cadre_edit"),
    path("cadres/<int:pk>/posts/", views.post_add, name="post_add"),
    path("posts/<int:pk>/adjust/", views.post_adjust, name="post_adjust"),
]
