"""Django admin limited to the agency administrator's own agency.

Mix AgencyScopedAdminMixin into a ModelAdmin (before admin.ModelAdmin) and name the path from
the model to its agency in `agency_field`. A superuser sees everything; an agency
administrator sees, and may act on, only rows of their own agency; anyone else sees nothing.
Application.status stays read-only: it changes only through applications.workflow.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from accounts.models import User


def agency_id_of(request: HttpRequest) -> int | None:
    """The agency of an agency administrator; None for everyone else."""
    user = request.user
    if getattr(user, "role", None) != User.Role.AGENCY_ADMIN:
        return None
    profile = getattr(user, "officer_profile", None)
    return profile.agency_id if profile is not None else None


class AgencyScopedAdminMixin:
    """Querysets, foreign-key choices and object permissions limited to one agency."""

    agency_field: str = "agency"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)  # type: ignore[misc]
        if request.user.is_superuser:
            return qs
        agency_id = agency_id_of(request)
        if agency_id is None:
            return qs.none()
        return qs.filter(
            **{
                f"{self.agency_field}_id"
                if "__" not in self.agency_field
                else f"{self.agency_field}__id": agency_id
            }
        )

    def _in_scope(self, request: HttpRequest, obj: Model | None) -> bool:
        if request.user.is_superuser:
            return True
        if agency_id_of(request) is None:
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._in_scope(request, None) and super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._in_scope(request, obj) and super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._in_scope(request, obj) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._in_scope(request, obj) and super().has_delete_permission(request, obj)  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """Offer only the agency's own offices and officers in choices."""
        agency_id = None if request.user.is_superuser else agency_id_of(request)
        if agency_id is not None:
            related = db_field.related_model
            if related._meta.label == "applications.AgencyOffice":
                kwargs["queryset"] = related.objects.filter(agency_id=agency_id)
            elif related._meta.label == "applications.IssuingAgency":
                kwargs["queryset"] = related.objects.filter(pk=agency_id)
            elif related._meta.label == "accounts.User":
                kwargs["queryset"] = related.objects.filter(officer_profile__agency_id=agency_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
