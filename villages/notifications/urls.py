"""URLs of the reminders, included by villages/urls.py into the ``villages`` namespace (no app_name here)."""

from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/count/", views.notification_count, name="notification_count"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("divisions/<str:code>/robot/", views.county_webhook, name="county_webhook"),
    path("divisions/<str:code>/robot/test/", views.county_webhook_test, name="county_webhook_test"),
    path("divisions/<str:code>/robot/delete/", views.county_webhook_delete, name="county_webhook_delete"),
]
