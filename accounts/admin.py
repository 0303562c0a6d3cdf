"""Admin for users, the IEC registry, profiles and officers' authenticators.

Who sees what is decided in accounts.admin_scope: an agency administrator administers their own
agency's officers only (and unlocks their sign-in with "Unlock sign-in" on users); exporters'
accounts and the IEC registry belong to platform staff; no page shows an authenticator's key
except the one that creates it, once.
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.helpers import get_cool_off
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Upper
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from .admin_scope import (
    AgencyScopedAdminMixin,
    PlatformStaffOnlyAdminMixin,
    ReadOnlyAdminMixin,
    agency_id_of,
    is_platform_staff,
    may_manage_exporter_accounts,
)
from .models import (
    Agent,
    AgentAuthorisation,
    ExporterProfile,
    IECRecord,
    LoginActivity,
    OfficerProfile,
    User,
)
from .services import AccountError, officer_authenticator_replace

OFFICER_ROLES = (User.Role.OFFICER, User.Role.AGENCY_ADMIN)


def qr_svg(data: str, size: int = 220) -> SafeString:
    """An inline SVG QR code, drawn by reportlab (no extra dependency)."""
    from reportlab.graphics import renderSVG
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(data)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    svg = renderSVG.drawToString(drawing)
    # Our own drawing of our own URI, with the XML prologue dropped so it can sit inline.
    return mark_safe(svg[svg.index("<svg") :])  # noqa: S308


# ---------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------


@admin.action(description="Unlock sign-in (clear failed attempts)", permissions=["change"])
def unlock_sign_in(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    """The queryset is the admin's own (an agency administrator's holds only their agency's
    officers), so a posted id of anyone else's account unlocks nothing."""
    users = list(queryset)
    cleared = 0
    for user in users:
        count = axes_reset(username=user.username.upper())
        cleared += count
        modeladmin.log_change(request, user, f"Unlocked sign-in ({count} lock record(s) cleared).")
    messages.success(
        request, f"Sign-in unlocked for {len(users)} account(s); {cleared} lock record(s) cleared."
    )


@admin.register(User)
class PortalUserAdmin(AgencyScopedAdminMixin, UserAdmin):
    agency_field = "officer_profile__agency"
    list_display = ("username", "role", "first_name", "email", "is_active", "locked", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "first_name", "last_name", "email")
    actions = [unlock_sign_in]
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Portal", {"fields": ("role", "mobile")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("Portal", {"fields": ("role", "email", "mobile")}),
    )
    # What only a superuser may grant. An agency administrator holds change_user (to unlock
    # sign-ins) and must not be able to raise anyone's privileges with it, their own included.
    PRIVILEGE_FIELDS = (
        "username",
        "role",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
        "user_permissions",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple:
        # Recorded by the portal, never typed; as inputs they were also date and time boxes
        # without labels (the accessibility audit's "label" violation).
        readonly = (*super().get_readonly_fields(request, obj), "last_login", "date_joined")
        if request.user.is_superuser:
            return readonly
        return readonly + self.PRIVILEGE_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        """Superusers: everyone. Agency administrators: their agency's officers, never a
        superuser or an operator. Platform staff allowed to manage exporters: exporters."""
        qs = super().get_queryset(request)
        if agency_id_of(request) is not None:
            qs = qs.filter(is_superuser=False, role__in=OFFICER_ROLES)
        cool_off = get_cool_off()
        locks = AccessAttempt.objects.filter(
            username=Upper(OuterRef("username")),
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        )
        if cool_off:
            locks = locks.filter(attempt_time__gte=timezone.now() - cool_off)
        return qs.annotate(is_locked=Exists(locks))

    def other_staff_rows(self, request: HttpRequest, qs: QuerySet) -> QuerySet | None:
        if may_manage_exporter_accounts(request.user):
            return qs.filter(role=User.Role.EXPORTER, is_superuser=False)
        return None

    @admin.display(description="Sign-in locked", boolean=True, ordering="is_locked")
    def locked(self, obj: User) -> bool:
        return bool(getattr(obj, "is_locked", False))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser


# ---------------------------------------------------------------------------------------------
# The IEC registry and exporters' profiles: platform staff with the named permission only
# ---------------------------------------------------------------------------------------------


class ExporterAccountsAdmin(PlatformStaffOnlyAdminMixin, admin.ModelAdmin):
    # Every change is written to admin's LogEntry (who, when, which fields).
    platform_rule = staticmethod(may_manage_exporter_accounts)


@admin.register(IECRecord)
class IECRecordAdmin(ExporterAccountsAdmin):
    list_display = ("iec", "firm_name", "status", "email", "mobile", "updated_at")
    list_filter = ("status",)
    search_fields = ("iec", "firm_name", "pan", "email")


@admin.register(ExporterProfile)
class ExporterProfileAdmin(ExporterAccountsAdmin):
    list_display = (
        "user",
        "iec_record",
        "email_verified_at",
        "mobile_verified_at",
        "registration_completed_at",
    )
    search_fields = ("user__username", "iec_record__firm_name")
    raw_id_fields = ("user", "iec_record")
    readonly_fields = ("email_verified_at", "mobile_verified_at", "registration_completed_at")


@admin.register(Agent)
class AgentAdmin(ExporterAccountsAdmin):
    """Platform staff suspend an agent here (its staff then act for no firm at once)."""

    list_display = ("name", "kind", "licence_number", "pan", "status", "email", "mobile")
    list_filter = ("status", "kind")
    search_fields = ("name", "licence_number", "pan", "email")


@admin.register(AgentAuthorisation)
class AgentAuthorisationAdmin(ReadOnlyAdminMixin, ExporterAccountsAdmin):
    """Read only: firms grant and withdraw authorisations on their Agents page."""

    list_display = ("agent", "firm", "valid_from", "valid_until", "withdrawn_at")
    search_fields = ("agent__name", "agent__licence_number", "firm__iec", "firm__firm_name")


# ---------------------------------------------------------------------------------------------
# Officers
# ---------------------------------------------------------------------------------------------


@admin.register(OfficerProfile)
class OfficerProfileAdmin(AgencyScopedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "agency", "office", "designation")
    list_filter = ("agency",)
    list_select_related = ("user", "agency", "office")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    raw_id_fields = ("user",)
    actions = ["replace_authenticator"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple:
        # The person a profile belongs to is fixed once it exists.
        return ("authenticator",) + (("user",) if obj is not None else ())

    @admin.display(description="Authenticator app (TOTP)")
    def authenticator(self, obj: OfficerProfile) -> str:
        """The device's state, never its key: the key is shown once, when it is made."""
        if obj.pk is None:
            return "Save the officer first."
        device = TOTPDevice.objects.devices_for_user(obj.user, confirmed=True).first()
        if device is None:
            return "No device. Use the action 'Give a new authenticator' on the officers list."
        used = (
            timezone.localtime(device.last_used_at).strftime("%d %b %Y %H:%M")
            if (device.last_used_at)
            else "never"
        )
        return f"{device.name}: set up, last used {used}. Its key is not shown again."

    @admin.action(
        description="Give a new authenticator (the key is shown once)", permissions=["change"]
    )
    def replace_authenticator(
        self, request: HttpRequest, queryset: QuerySet[OfficerProfile]
    ) -> HttpResponse | None:
        """For one officer of the administrator's own agency (the queryset is scoped): a new
        key replaces the old one, and this response is the only place it is ever shown."""
        profiles = list(queryset.select_related("user")[:2])
        if len(profiles) != 1:
            self.message_user(request, "Choose one officer at a time.", messages.WARNING)
            return None
        officer = profiles[0].user
        try:
            device = officer_authenticator_replace(officer=officer, actor=request.user)
        except AccountError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        self.log_change(
            request, profiles[0], "Gave a new authenticator; the old one stops working."
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"New authenticator for {officer.get_full_name() or officer.username}",
            "officer": officer,
            "qr": qr_svg(device.config_url),
            "config_url": device.config_url,
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "accounts/admin_authenticator.html", context)
        response["Cache-Control"] = "no-store"
        return response


class PortalTOTPDeviceAdmin(PlatformStaffOnlyAdminMixin, admin.ModelAdmin):
    """django-otp's own admin shows and edits the key: this one lists devices for platform
    staff, read-only and without the key; devices are made by create_officer or the officers'
    'Give a new authenticator' action, which show the key once."""

    list_display = ("user", "name", "created_at", "last_used_at", "confirmed")
    list_filter = ("confirmed",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, PortalTOTPDeviceAdmin)


# ---------------------------------------------------------------------------------------------
# Activity, lock records and the admin's own audit log
# ---------------------------------------------------------------------------------------------


@admin.register(LoginActivity)
class LoginActivityAdmin(AgencyScopedAdminMixin, admin.ModelAdmin):
    agency_field = "user__officer_profile__agency"
    list_display = ("user", "kind", "at", "ip_address")
    list_filter = ("kind",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    date_hierarchy = "at"

    def other_staff_rows(self, request: HttpRequest, qs: QuerySet) -> QuerySet | None:
        return qs if is_platform_staff(request.user) else None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# axes' lock records name every account of every agency: platform staff only. An agency
# administrator unlocks their own officers with "Unlock sign-in" on users.
for _model, _admin in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, type(_admin.__name__, (PlatformStaffOnlyAdminMixin, _admin), {}))


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdminMixin, PlatformStaffOnlyAdminMixin, admin.ModelAdmin):
    """Who changed what in admin, for platform staff: the audit of changes to exporters'
    credentials and the IEC registry among them. Read-only."""

    list_display = ("action_time", "user", "content_type", "object_repr", "change_message")
    list_filter = ("content_type",)
    list_select_related = ("user", "content_type")
    search_fields = ("object_repr", "user__username")
    date_hierarchy = "action_time"


class SuperuserGroupAdmin(PlatformStaffOnlyAdminMixin, GroupAdmin):
    """Groups carry permissions: whoever edits them can raise anyone's, so superusers only."""

    platform_rule = staticmethod(lambda user: user.is_active and user.is_superuser)


if admin.site.is_registered(Group):
    admin.site.unregister(Group)
admin.site.register(Group, SuperuserGroupAdmin)
