"""The admin site: Django's, with its "view on site" redirect looked up through the object's admin, and the site's
sign-in lockout on its login.

Django's redirect (``admin/r/<content type>/<id>/``) finds any row by id and sends the user to its page, so a row
outside the user's scope answered a redirect where an unknown id answered 404: its existence showed. Here the row
must be in its admin's queryset (``ScopedModelAdmin``), or the answer is 404.
"""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import path

from .throttle import ThrottledAdminAuthenticationForm


class ScopedAdminSite(admin.AdminSite):
    # The admin's login pauses after repeated failures exactly like the site's (villages.throttle).
    login_form = ThrottledAdminAuthenticationForm

    def get_urls(self):
        urls = [u for u in super().get_urls() if getattr(u, "name", None) != "view_on_site"]
        return [
            path("r/<path:content_type_id>/<path:object_id>/", self.admin_view(self.view_on_site), name="view_on_site"),
            *urls,
        ]

    def view_on_site(self, request, content_type_id, object_id):
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except (ContentType.DoesNotExist, ValueError):
            raise Http404 from None
        model_admin = self._registry.get(model)
        if model_admin is None or not model_admin.has_view_or_change_permission(request):
            raise Http404
        try:
            found = model_admin.get_queryset(request).filter(pk=object_id).exists()
        except (ValidationError, ValueError, TypeError):
            found = False
        if not found:
            raise Http404
        return shortcut(request, content_type_id, object_id)
