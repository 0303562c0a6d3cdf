"""Who may see and do what in Django admin.

Three kinds of staff use admin:
- superusers: everything;
- platform staff (role "operator", is_staff): reference data, and, with the named permission
  `accounts.manage_exporter_accounts`, exporters' credentials (password, email, mobile) and
  the IEC registry;
- agency administrators: their own agency's officers and the agency's own records, never
  another agency's, never an exporter's account, never the IEC registry.

Model permissions (view_user, change_user, ...) are still required on top: these rules only
narrow what Django's permissions allow, they never widen it.

Every admin of a model that belongs to an agency mixes in `AgencyScopedAdminMixin` (before
admin.ModelAdmin) and names the path to the agency in `agency_field`. Rows of another agency
are absent from lists and choices, and their pages answer 404 (Django's stock answer is a
redirect to the admin index, which tells nothing but is not a refusal either).
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import unquote
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from .permissions import (
    MANAGE_EXPORTER_ACCOUNTS,
    admin_agency_id,
    is_platform_staff,
    may_manage_exporter_accounts,
)

__all__ = [
    "MANAGE_EXPORTER_ACCOUNTS",
    "AgencyScopedAdminMixin",
    "PlatformStaffOnlyAdminMixin",
    "agency_id_of",
    "is_platform_staff",
    "may_manage_exporter_accounts",
]

# What an agency administrator needs (seed_demo gives exactly these): their officers' accounts
# and profiles (unlock, a new authenticator), sign-in activity, and the agency's applications
# and certificates, its fee payments and the verification log of its certificates (issue 31;
# verification/migrations/0004 grants these two to the administrators made before). Nothing
# of the IEC registry, exporters' profiles or axes' lock records.
AGENCY_ADMIN_PERMISSIONS = (
    "view_user",
    "change_user",
    "view_officerprofile",
    "change_officerprofile",
    "view_loginactivity",
    "view_application",
    "view_certificate",
    "change_certificate",
    "view_payment",
    "view_verificationlog",
)


def agency_id_of(request: HttpRequest) -> int | None:
    """The agency of an agency administrator; None for everyone else."""
    return admin_agency_id(request.user)


class _NotFoundOutsideScopeMixin:
    """Change, delete and history pages of a row the user may not see answer 404."""

    def _object_or_404(self, request: HttpRequest, object_id: str | None) -> None:
        if object_id is not None and self.get_object(request, unquote(object_id)) is None:  # type: ignore[attr-defined]  # a mixin: the ModelAdmin it is mixed into has it
            raise Http404("No such object")

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        self._object_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self._object_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self._object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into


class AgencyScopedAdminMixin(_NotFoundOutsideScopeMixin):
    """Querysets, foreign-key choices and object permissions limited to one agency.

    A superuser sees every row; an agency administrator the rows of their own agency; other
    staff what `other_staff_rows` gives them (by default nothing).
    """

    agency_field: str = "agency"

    def other_staff_rows(self, request: HttpRequest, qs: QuerySet) -> QuerySet | None:
        """The rows for staff who are neither superusers nor agency administrators; None
        when they have no business here at all."""
        return None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into
        if request.user.is_superuser:
            return qs
        agency_id = agency_id_of(request)
        if agency_id is None:
            rows = self.other_staff_rows(request, qs)
            return qs.none() if rows is None else rows
        return qs.filter(**{self.agency_field: agency_id})

    def _in_scope(self, request: HttpRequest, obj: Model | None) -> bool:
        if request.user.is_superuser:
            return True
        if obj is not None:
            return self.get_queryset(request).filter(pk=obj.pk).exists()
        if agency_id_of(request) is not None:
            return True
        rows = self.other_staff_rows(request, self.model._default_manager.all())  # type: ignore[attr-defined]  # a mixin: the ModelAdmin it is mixed into has it
        return rows is not None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._in_scope(request, None) and super().has_module_permission(request)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._in_scope(request, obj) and super().has_view_permission(request, obj)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._in_scope(request, obj) and super().has_change_permission(request, obj)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._in_scope(request, obj) and super().has_delete_permission(request, obj)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """Offer only the agency's own offices and officers in choices."""
        agency_id = agency_id_of(request)
        if agency_id is not None:
            related = db_field.related_model
            if related._meta.label == "reference.AgencyOffice":
                kwargs["queryset"] = related.objects.filter(agency_id=agency_id)
            elif related._meta.label == "reference.IssuingAgency":
                kwargs["queryset"] = related.objects.filter(pk=agency_id)
            elif related._meta.label == "accounts.User":
                kwargs["queryset"] = related.objects.filter(officer_profile__agency_id=agency_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into


class PlatformStaffOnlyAdminMixin:
    """An admin for platform staff alone: hidden from agency staff, 403 on every page.

    `platform_rule` says who counts; the default is any platform staff.
    """

    @staticmethod
    def platform_rule(user: Any) -> bool:
        return is_platform_staff(user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.platform_rule(request.user) and super().has_module_permission(request)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.platform_rule(request.user) and super().has_view_permission(request, obj)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.platform_rule(request.user) and super().has_add_permission(request, *args)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.platform_rule(request.user) and super().has_change_permission(request, obj)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.platform_rule(request.user) and super().has_delete_permission(request, obj)  # type: ignore[misc]  # a mixin: super() is the ModelAdmin it is mixed into


class ReadOnlyAdminMixin:
    """An admin that shows records and never writes them: services write them. Put it first
    among the bases, so that no other mixin's answer comes before its no."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
