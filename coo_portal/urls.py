from __future__ import annotations

from captcha import views as captcha_views
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path

from accounts import language
from api import endpoints as api_endpoints
from certificates import views as certificate_views

from . import views

# django-simple-captcha's own URLconf, with its views marked public: LoginRequiredMiddleware
# would otherwise hide the image from the people who need it, the ones not signed in.
captcha_patterns = [
    re_path(
        r"image/(?P<key>\w+)/$",
        login_not_required(captcha_views.captcha_image),
        name="captcha-image",
        kwargs={"scale": 1},
    ),
    re_path(
        r"image/(?P<key>\w+)@2/$",
        login_not_required(captcha_views.captcha_image),
        name="captcha-image-2x",
        kwargs={"scale": 2},
    ),
    re_path(
        r"audio/(?P<key>\w+).wav$",
        login_not_required(captcha_views.captcha_audio),
        name="captcha-audio",
    ),
    re_path(
        r"refresh/$", login_not_required(captcha_views.captcha_refresh), name="captcha-refresh"
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("language/", language.choose_language, name="set-language"),
    # The public lookups (QR link, API) are the busiest routes: resolved before the others.
    path("", include("verification.urls")),
    path("dev/outbox/", views.dev_outbox, name="dev-outbox"),
    path("accounts/", include("accounts.urls")),
    path("applications/", include("applications.urls")),
    path("officer/", include("review.urls")),
    path("certificates/", include("certificates.urls")),
    # Each agency CA's CRL, at the address its signing certificates carry: keep it stable.
    path("pki/<slug:agency>.crl", certificate_views.crl, name="pki-crl"),
    path("captcha/", include(captcha_patterns)),
    path("admin/", admin.site.urls),
    # The filing API (issue 30): /api/v1/ with its OpenAPI document; the portal's API pages.
    path("api/v1/", api_endpoints.urls()),
    path("api-access/", include("api.urls")),
]

handler400 = "coo_portal.views.bad_request"
