from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_scope import AgencyScopedAdminMixin

from .models import VerificationLog


@admin.register(VerificationLog)
class VerificationLogAdmin(AgencyScopedAdminMixin, admin.ModelAdmin):
    """The verification log, read-only: it is evidence, so nobody edits or deletes entries.
    An agency administrator sees lookups of their own agency's certificates only."""

    agency_field = "certificate__application__agency"

    list_display = ["created_at", "certificate", "channel", "outcome", "client_hash"]
    list_filter = ["channel", "outcome", "created_at"]
    list_select_related = ["certificate"]
    search_fields = ["certificate__number", "client_hash"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "certificate", "channel", "outcome", "client_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
