from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/bare/snapshot/", views.bare_snapshot, name="bench_bare_snapshot"),
    path("bench/bare/insert/", views.bare_insert, name="bench_bare_insert"),
    path("bench/bare/insert/anonymous/", views.bare_insert_anonymous, name="bench_bare_insert_anonymous"),
    path("", include("config.urls")),
]
