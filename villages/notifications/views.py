"""Pages of the reminders: the user's notifications and the bell, their own settings, and a county's group robot
(its administrator's). A view parses, calls a selector or a service, and renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..choices import Level
from ..models import Division
from ..scopes import can_manage_users, get_visible_or_404
from ..views import apply_form_errors
from . import selectors, services
from .choices import DeliveryStatus
from .forms import CountyWebhookForm, NotificationSettingsForm
from .models import NotificationSettings

PAGE_SIZE = 30


def _list_url(request) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("villages:notifications")


@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(selectors.notification_list(user=request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "villages/notifications/list.html",
        {"page": page, "unread_only": unread_only, "unread": selectors.unread_count(request.user)},
    )


@login_required
def notification_count(request):
    """The bell in the navigation, fetched by the page after it loads (so no page pays for it)."""
    return render(request, "villages/notifications/_bell.html", {"unread": selectors.unread_count(request.user)})


@login_required
def notification_open(request, pk):
    """Open what a notification is about (marking it read): its form, on the platform itself."""
    notification = selectors.own_notification_or_404(user=request.user, pk=pk)
    services.notification_mark_read(user=request.user, notification=notification)
    if url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None) and notification.url.startswith("/"):
        return redirect(notification.url)
    return redirect("villages:notifications")


@login_required
@require_http_methods(["POST"])
def notification_read(request, pk):
    notification = selectors.own_notification_or_404(user=request.user, pk=pk)
    services.notification_mark_read(user=request.user, notification=notification)
    return redirect(_list_url(request))


@login_required
@require_http_methods(["POST"])
def notifications_read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, _("%(n)d notifications marked as read.") % {"n": count})
    return redirect(_list_url(request))


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    prefs = NotificationSettings.objects.filter(user=request.user).first()
    initial = {"email": request.user.email, "email_reminders": prefs.email_reminders if prefs else True}
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_settings_save(
                user=request.user,
                email_reminders=form.cleaned_data["email_reminders"],
                email=form.cleaned_data["email"],
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Your reminder settings are saved."))
            return redirect("villages:notification_settings")
    return render(request, "villages/notifications/settings.html", {"form": form})


def _managed_county(request, code) -> Division:
    """The county whose robot the user configures: out of scope 404, in scope without managing its users 403."""
    county = get_visible_or_404(Division.objects, request.user, code=code, level=Level.COUNTY)
    if not can_manage_users(request.user, county.code):
        raise PermissionDenied(
            _(
                "The county's group robot is configured by the county's administrator "
                "(a county official who manages users)."
            )
        )
    return county


@login_required
@require_http_methods(["GET", "POST"])
def county_webhook(request, code):
    county = _managed_county(request, code)
    webhook = selectors.county_webhook(county=county)
    initial = {"kind": webhook.kind, "url": webhook.url, "active": webhook.active} if webhook else {"active": True}
    form = CountyWebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        secret = "" if data["clear_secret"] else data["secret"] or (webhook.secret if webhook else "")
        try:
            services.county_webhook_save(
                actor=request.user,
                county=county,
                kind=data["kind"],
                url=data["url"],
                secret=secret,
                active=data["active"],
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("The group robot is saved. Send a test message to check it."))
            return redirect("villages:county_webhook", code=county.code)
    return render(
        request,
        "villages/notifications/webhook.html",
        {
            "division": county,
            "form": form,
            "webhook": webhook,
            "deliveries": selectors.recent_deliveries(webhook=webhook) if webhook else [],
        },
    )


@login_required
@require_http_methods(["POST"])
def county_webhook_test(request, code):
    county = _managed_county(request, code)
    webhook = selectors.county_webhook(county=county)
    if webhook is None:
        messages.error(request, _("Save the robot's address first."))
        return redirect("villages:county_webhook", code=county.code)
    delivery = services.webhook_send_test(actor=request.user, webhook=webhook)
    if delivery.status == DeliveryStatus.SENT:
        messages.success(request, _("The test message was sent: check the group."))
    else:
        messages.error(
            request, _("The test message could not be sent: %(error)s") % {"error": delivery.last_error or "?"}
        )
    return redirect("villages:county_webhook", code=county.code)


@login_required
@require_http_methods(["POST"])
def county_webhook_delete(request, code):
    county = _managed_county(request, code)
    webhook = selectors.county_webhook(county=county)
    if webhook is not None:
        services.county_webhook_delete(actor=request.user, webhook=webhook)
        messages.success(request, _("The group robot is removed: no digest will be posted."))
    return redirect("villages:county_webhook", code=county.code)
