"""Only the reviews API (and the villages API it builds on), so the schema test judges this app's schema alone."""

from django.urls import include, path

urlpatterns = [
    path("api/v1/", include([path("", include("villages.api.urls")), path("", include("reviews.api.urls"))])),
]
