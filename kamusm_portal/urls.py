from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from entitlements import urls as entitlements_urls
from kamusm_portal.sign_in import LimitedPasswordResetView
from kamusm_portal.views import SignInView, healthz, home, metrics, second_factor_setup, second_factor_step
from reports import urls as reports_urls

# The officials' portal (``portal:…``): one namespace over the pages of two layers, the
# institution's pages and the calculator (entitlements) and the official's dashboard (reports).
portal_urls = ([*reports_urls.urlpatterns, *entitlements_urls.urlpatterns], "portal")

urlpatterns = [
    path("", home, name="home"),
    path("healthz/", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("kamusm_portal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/setlang/", set_language, name="set_language"),
    # Django's login pages, with password-reset e-mails limited per address and account, and the
    # staff's second factor (its second step and its enrolment); a trainer signs in to their work plan.
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/password_reset/", LimitedPasswordResetView.as_view(), name="password_reset"),
    path("accounts/second-factor/", second_factor_step, name="second_factor"),
    path("accounts/second-factor/setup/", second_factor_setup, name="second_factor_setup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("sessions.urls")),
    path("", include("certificates.urls")),
    path("", include(portal_urls)),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
