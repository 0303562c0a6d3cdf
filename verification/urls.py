from __future__ import annotations

from django.urls import path

from . import views

app_name = "verification"
# Certificate numbers contain slashes (EIC/2026/MUM/0000123), hence the path converter; the
# fixed routes under verify/ come first so that no number can shadow them. The QR link and the
# API, the busiest routes, come as early as that allows (each pattern tried costs about 1.5 us).
urlpatterns = [
    path("api/v1/certificates/<path:number>", views.api_certificate, name="api-certificate"),
    path("verify/", views.verify, name="verify"),
    path("verify/document/", views.document, name="document"),
    path("verify/ca-certificate.pem", views.ca_certificate, name="ca-certificate"),
    path("verify/pdf/<path:number>", views.pdf, name="pdf"),
    path("verify/credential/", views.credential, name="credential"),
    path("verify/vc/<path:number>", views.credential_download, name="credential-download"),
    path("verify/<path:number>/", views.verify_certificate, name="verify-certificate"),
    # Verifiable Credentials: keys (did:web, JWKS), the JSON-LD context and the status lists.
    path(".well-known/did.json", views.portal_did, name="did-portal"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    path("agencies/<str:agency>/did.json", views.agency_did, name="did-agency"),
    path("agencies/<str:agency>/status/<int:list_number>", views.status_list, name="status-list"),
    path("credentials/v1", views.credential_context, name="credential-context"),
]
