"""URLs of the imports, included by villages/urls.py into the ``villages`` namespace; every name starts with
``import``."""

from django.urls import path

from . import views

urlpatterns = [
    path("divisions/<str:code>/imports/", views.import_home, name="imports"),
    path("divisions/<str:code>/imports/<slug:kind>/template.xlsx", views.import_template, name="import_template"),
    path("divisions/<str:code>/imports/<slug:kind>/", views.import_upload, name="import_upload"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("imports/<int:pk>/confirm/", views.import_job_confirm, name="import_job_confirm"),
    path("imports/<int:pk>/progress/", views.import_job_progress, name="import_job_progress"),
]
