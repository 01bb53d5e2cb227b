from django.contrib.admin.apps import AdminConfig


class ScopedAdminConfig(AdminConfig):
    """Django's admin with the scoped site (villages.admin_site): every admin view goes through the user's scope."""

    default_site = "villages.admin_site.ScopedAdminSite"
