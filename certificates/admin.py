"""The register in the admin: read-only, with revocation and "issue again" as the only writes."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts.admin_scope import AgencyScopedAdminMixin, ReadOnlyAdminMixin, agency_id_of
from accounts.permissions import may_revoke, officer_agency_id

from .archive import certificates_archive_due
from .forms import RevokeForm
from .models import Certificate, IssuanceAttempt
from .selectors import user_may_revoke
from .services import CertificateError, certificate_revoke, certificates_pending_enqueue


class ArchiveDueFilter(admin.SimpleListFilter):
    """The archive task's progress: which certificates still wait for an archive timestamp."""

    title = "archive timestamp"
    parameter_name = "archive"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("due", "Due (within the horizon)"), ("current", "Not due")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        due = certificates_archive_due().values("pk")
        if self.value() == "due":
            return queryset.filter(pk__in=due)
        if self.value() == "current":
            return queryset.exclude(pk__in=due)
        return queryset


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdminMixin, AgencyScopedAdminMixin, admin.ModelAdmin):
    agency_field = "application__agency"
    list_display = (
        "number",
        "application",
        "office",
        "status",
        "issued_at",
        "signing_officer",
        "offline_until",
    )
    list_filter = ("status", ArchiveDueFilter, "office", "year")
    search_fields = ("number", "application__reference")
    date_hierarchy = "issued_at"
    list_select_related = ("application", "office__agency", "signing_officer")
    exclude = ("verification_code",)  # a secret of the exporter's, not for browsing
    actions = ["revoke"]

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Whoever may revoke must see what they revoke (their own agency's, get_queryset).
        return super().has_view_permission(request, obj) or self.has_revoke_permission(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or self.has_revoke_permission(request)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        # The one rule (accounts.permissions.may_revoke) for the user's own agency; each
        # certificate is checked again against its own agency when it is revoked.
        user = request.user
        return bool(user.is_staff) and may_revoke(user, officer_agency_id(user))

    @admin.action(description="Revoke the selected certificates", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> HttpResponse | None:
        """Asks for a reason on a confirmation page, then revokes each certificate the user
        may revoke (each through certificate_revoke, which notifies its exporter)."""
        form = RevokeForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for certificate in queryset:
                if not user_may_revoke(request.user, certificate):
                    continue
                try:
                    certificate_revoke(
                        certificate_id=certificate.pk,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                    done += 1
                except CertificateError as exc:
                    self.message_user(request, str(exc), messages.WARNING)
            self.message_user(request, f"{done} certificate(s) revoked.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Revoke certificates",
            "certificates": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "certificates/admin_revoke.html", context)


@admin.register(IssuanceAttempt)
class IssuanceAttemptAdmin(ReadOnlyAdminMixin, AgencyScopedAdminMixin, admin.ModelAdmin):
    agency_field = "application__agency"
    list_display = ("application", "started_at", "finished_at", "outcome", "error")
    list_filter = ("succeeded", "final", "abandoned")
    search_fields = ("application__reference",)
    list_select_related = ("application",)
    actions = ["issue_pending"]

    @admin.action(description="Issue again every approved application still without certificate")
    def issue_pending(self, request: HttpRequest, queryset: QuerySet[IssuanceAttempt]) -> None:
        agency_id = agency_id_of(request)
        if not request.user.is_superuser and agency_id is None:
            return
        ids = certificates_pending_enqueue(agency_id=agency_id)
        self.message_user(request, f"Issuance queued again for {len(ids)} application(s).")
