from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_scope import (
    AgencyScopedAdminMixin,
    PlatformStaffOnlyAdminMixin,
    ReadOnlyAdminMixin,
)
from reference.gst import gstin_problem
from reference.models import AgencyTaxProfile, AgencyTaxProfileChange
from reference.services import PROFILE_FIELDS, agency_tax_profile_save

from .models import (
    AgencyOffice,
    Application,
    ApplicationEvent,
    Document,
    Fee,
    HSCode,
    Invoice,
    IssuingAgency,
    LineItem,
    Payment,
    PaymentEvent,
    TradeAgreement,
)

# Reference data: edited by platform staff (agency staff never, whatever their permissions).


@admin.register(TradeAgreement)
class TradeAgreementAdmin(PlatformStaffOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "form_title", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


class AgencyOfficeInline(admin.TabularInline):
    model = AgencyOffice
    extra = 0


@admin.register(IssuingAgency)
class IssuingAgencyAdmin(PlatformStaffOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "issues_non_preferential", "in_lieu_fee"]
    filter_horizontal = ["agreements"]
    inlines = [AgencyOfficeInline]
    search_fields = ["code", "name"]


class AgencyTaxProfileForm(forms.ModelForm):
    class Meta:
        model = AgencyTaxProfile
        fields = ["agency", *PROFILE_FIELDS]

    def clean_gstin(self) -> str:
        value = str(self.cleaned_data.get("gstin", "")).strip().upper()
        problem = gstin_problem(value) if value else None
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        gstin, state = data.get("gstin"), data.get("state_code")
        if gstin and state and gstin[:2] != state:
            self.add_error("gstin", "The GSTIN's first two digits are not the state chosen.")
        return data


class AgencyTaxProfileChangeInline(admin.TabularInline):
    model = AgencyTaxProfileChange
    extra = 0
    can_delete = False
    fields = readonly_fields = ["changed_at", "changed_by", "changes"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AgencyTaxProfile)
class AgencyTaxProfileAdmin(PlatformStaffOnlyAdminMixin, admin.ModelAdmin):
    """Platform staff edit an agency's GST particulars; every change is recorded with the
    values before and after (reference.services.agency_tax_profile_save)."""

    form = AgencyTaxProfileForm
    list_display = ["agency", "legal_name", "state_code", "gstin", "sac", "reverse_charge"]
    inlines = [AgencyTaxProfileChangeInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = agency_tax_profile_save(
            agency=form.cleaned_data["agency"],
            actor=request.user,
            values={name: form.cleaned_data[name] for name in PROFILE_FIELDS},
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Fee)
class FeeAdmin(PlatformStaffOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["certificate_type", "agreement", "amount", "currency", "valid_from"]
    list_filter = ["certificate_type"]


@admin.register(HSCode)
class HSCodeAdmin(PlatformStaffOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "level", "description"]
    list_filter = ["level", "section"]
    search_fields = ["code", "description"]


# Applications: read-only here. Changes go through the portal's services and workflow.


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]  # Django admin's override, request and obj left as ModelAdmin types them
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]  # Django admin's override, request and obj left as ModelAdmin types them
        return False


class LineItemInline(ReadOnlyInline):
    model = LineItem


class InvoiceInline(ReadOnlyInline):
    model = Invoice


class DocumentInline(ReadOnlyInline):
    model = Document
    exclude = ["file"]


class EventInline(ReadOnlyInline):
    model = ApplicationEvent


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdminMixin, AgencyScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "exporter",
        "certificate_type",
        "agreement",
        "agency",
        "status",
        "updated_at",
    ]
    list_filter = ["status", "certificate_type", "agency"]
    search_fields = ["reference", "exporter__username", "invoices__number"]
    list_select_related = ["exporter", "agreement", "agency"]
    inlines = [InvoiceInline, LineItemInline, DocumentInline, EventInline]


class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, AgencyScopedAdminMixin, admin.ModelAdmin):
    agency_field = "application__agency"

    list_display = [
        "order_id",
        "application",
        "amount",
        "currency",
        "state",
        "gateway_reference",
        "captured_at",
    ]
    list_filter = ["state", "gateway"]
    search_fields = ["order_id", "gateway_reference", "application__reference"]
    inlines = [PaymentEventInline]
