from __future__ import annotations

from django.urls import path

from . import views

app_name = "certificates"
# Certificate numbers contain slashes (EIC/2026/MUM/0000123): each route has a fixed prefix and
# ends with the number.
urlpatterns = [
    path("download/<path:key>", views.download, name="download"),
    path("credential/<path:key>", views.credential, name="credential"),
    path("revoke/<path:number>", views.revoke, name="revoke"),
    path("replace/<path:number>", views.request_replacement, name="request-replacement"),
    path("copy/<path:number>", views.request_certified_copy, name="request-certified-copy"),
    path("self-declare/<str:reference>", views.make_self_declaration, name="self-declare"),
]
