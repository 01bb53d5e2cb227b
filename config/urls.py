from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from villages import views as villages_views
from villages.throttle import ThrottledAuthenticationForm

api_v1 = [
    path("", include("villages.api.urls")),
    path("", include("reviews.api.urls")),
    path("", include("reviews.followup.api.urls")),
    path("", include("grids.api.urls")),
    path("", include("petitions.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/sign-out-everywhere/", villages_views.sign_out_everywhere, name="sign_out_everywhere"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", villages_views.home, name="home"),
    path("", include("villages.urls")),
    path("reviews/", include("reviews.urls")),
    path("followup/", include("reviews.followup.urls")),
    path("grids/", include("grids.urls")),
    path("petitions/", include("petitions.urls")),
]

# The refusal pages, in the user's language (villages.errors).
handler400 = "villages.errors.bad_request"
handler403 = "villages.errors.permission_denied"
handler404 = "villages.errors.page_not_found"
handler500 = "villages.errors.server_error"
