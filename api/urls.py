from __future__ import annotations

from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("", views.access, name="access"),
    path("tokens/<int:token_id>/revoke", views.token_revoke, name="token-revoke"),
    path("bulk/", views.bulk_new, name="bulk-new"),
    path("bulk/<int:bulk_id>/", views.bulk_progress, name="bulk-progress"),
    path("deliveries/<int:delivery_id>/replay", views.delivery_replay, name="delivery-replay"),
]
