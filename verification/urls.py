from __future__ import annotations

from django.urls import path

from . import views

app_name = "verification"
# Certificate numbers contain slashes (EIC/2026/MUM/0000123), hence the path converter; the
# fixed routes come first so that no number can shadow them.
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/document/", views.document, name="document"),
    path("verify/ca-certificate.pem", views.ca_certificate, name="ca-certificate"),
    path("verify/pdf/<path:number>", views.pdf, name="pdf"),
    path("verify/<path:number>/", views.verify_certificate, name="verify-certificate"),
    path("api/v1/certificates/<path:number>", views.api_certificate, name="api-certificate"),
]
