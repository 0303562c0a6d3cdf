from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from accounts.admin_scope import (
    AgencyScopedAdminMixin,
    PlatformStaffOnlyAdminMixin,
    ReadOnlyAdminMixin,
)
from accounts.models import User

from .models import Utilisation, VerificationLog, VerifierMember, VerifierOrganisation
from .utilisation import verifier_organisation_confirm

# The log grows by every lookup: the list counts at most this many rows (then pages stop:
# narrow by date, channel or certificate), so neither a page nor a search reads it whole.
LOG_LIST_LIMIT = 10_000


class BoundedPaginator(Paginator):  # type: ignore[type-arg]  # Django instantiates it for any admin list
    """Counts up to LOG_LIST_LIMIT rows (a COUNT over a LIMIT subquery), never the table."""

    @cached_property
    def count(self) -> int:
        rows = cast("QuerySet[Any]", self.object_list)  # the admin pages a queryset
        return int(rows.order_by()[:LOG_LIST_LIMIT].count())


@admin.register(VerificationLog)
class VerificationLogAdmin(
    ReadOnlyAdminMixin, AgencyScopedAdminMixin, admin.ModelAdmin[VerificationLog]
):
    """The verification log, read-only: it is evidence, so nobody edits or deletes entries.
    An agency administrator sees lookups of their own agency's certificates only.

    Built for a log of millions of rows: the list is ordered by the time index, counted up to
    a bound, and searched by exact certificate number (the unique index, then the log's
    (certificate, time) index) rather than by a substring no index serves."""

    paginator = BoundedPaginator
    show_full_result_count = False

    agency_field = "certificate__application__agency"

    list_display = ["created_at", "certificate", "channel", "outcome", "client_hash"]
    list_filter = ["channel", "outcome", "created_at"]
    list_select_related = ["certificate"]
    search_fields = ["certificate__number"]
    search_help_text = "A certificate's full number, e.g. EIC/2026/MUM/0000123."
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "certificate", "channel", "outcome", "client_hash"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[VerificationLog], search_term: str
    ) -> tuple[QuerySet[VerificationLog], bool]:
        term = search_term.strip().upper()
        if not term:
            return queryset, False
        return queryset.filter(certificate__number=term), False


class VerifierMemberInline(admin.TabularInline[VerifierMember, VerifierOrganisation]):
    model = VerifierMember
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(VerifierOrganisation)
class VerifierOrganisationAdmin(
    PlatformStaffOnlyAdminMixin, admin.ModelAdmin[VerifierOrganisation]
):
    """Customs authorities and banks (platform staff only).
    Confirming one lets its members record imports (verification/utilisation.py)."""

    list_display = ["name", "kind", "country", "contact_email", "confirmed_at"]
    list_filter = ["kind", "confirmed_at"]
    search_fields = ["name", "contact_email"]
    readonly_fields = ["confirmed_at", "confirmed_by"]
    inlines = [VerifierMemberInline]
    actions = ["confirm"]

    @admin.action(description="Confirm the selected organisations")
    def confirm(self, request: HttpRequest, queryset: QuerySet[VerifierOrganisation]) -> None:
        staff = cast(User, request.user)
        for organisation in queryset:
            verifier_organisation_confirm(organisation_id=organisation.pk, staff=staff)
        self.message_user(request, f"{queryset.count()} organisation(s) confirmed.")


@admin.register(Utilisation)
class UtilisationAdmin(ReadOnlyAdminMixin, AgencyScopedAdminMixin, admin.ModelAdmin[Utilisation]):
    """Imports recorded on certificates and refused claims, read-only: an agency administrator
    sees those on their own agency's certificates."""

    agency_field = "certificate__application__agency"

    list_display = ["recorded_at", "certificate", "organisation", "entry_number", "port", "outcome"]
    list_filter = ["outcome"]
    list_select_related = ["certificate", "organisation"]
    search_fields = ["certificate__number", "entry_number"]
