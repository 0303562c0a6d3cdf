from __future__ import annotations

from django.urls import path

from . import log_views, request_views, subscription_views, verifier_views, views

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
    # Verifier organisations (login required): recording an import on a certificate.
    path("verifiers/imports/<path:number>", verifier_views.record_import, name="record-import"),
    # Verification requests (verification/requests.py): the verifier's and the exporter's pages.
    path("verifiers/", request_views.verifier_home, name="verifier-home"),
    path(
        "verifiers/requests/<int:request_id>/",
        request_views.verifier_request,
        name="verifier-request",
    ),
    path("verifiers/requests/new/<path:number>", request_views.request_new, name="request-new"),
    path("verification-requests/", request_views.exporter_requests, name="exporter-requests"),
    path(
        "verification-requests/<int:request_id>/",
        request_views.exporter_request,
        name="exporter-request",
    ),
    path(
        "verification-requests/documents/<int:attachment_id>",
        request_views.attachment_download,
        name="request-attachment",
    ),
    # Status subscriptions (public, number + code; one-click unsubscribe by token).
    path("subscriptions/new/<path:number>", subscription_views.subscribe, name="subscribe"),
    path("subscriptions/cancel/<str:token>", subscription_views.unsubscribe, name="unsubscribe"),
    path("verify/<path:number>/", views.verify_certificate, name="verify-certificate"),
    # Verifiable Credentials: keys (did:web, JWKS), the JSON-LD context and the status lists.
    path(".well-known/did.json", views.portal_did, name="did-portal"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    path("agencies/<str:agency>/did.json", views.agency_did, name="did-agency"),
    path("agencies/<str:agency>/status/<int:list_number>", views.status_list, name="status-list"),
    path(
        "agencies/<str:agency>/status/<int:list_number>/messages",
        views.status_list,
        {"purpose": "message"},
        name="status-messages",
    ),
    path("credentials/v1", views.credential_context, name="credential-context"),
    # The agencies' transparency logs (verification/transparency.py): stable public addresses.
    path("transparency/<str:agency>/", log_views.head, name="log-head"),
    path("transparency/<str:agency>/heads/<int:tree_size>", log_views.head_at, name="log-head-at"),
    path("transparency/<str:agency>/consistency", log_views.consistency, name="log-consistency"),
    path("transparency/<str:agency>/inclusion", log_views.inclusion, name="log-inclusion"),
    path("transparency/<str:agency>/leaves", log_views.leaves, name="log-leaves"),
]
