"""Admin for users, the IEC registry, profiles and officers' authenticator set-up.

An agency administrator unlocks a locked IEC with the "Unlock sign-in" action on users (or by
deleting the attempt in axes' own "Access attempts").
"""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ExporterProfile, IECRecord, LoginActivity, OfficerProfile, User


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


@admin.action(description="Unlock sign-in (clear failed attempts)", permissions=["change"])
def unlock_sign_in(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    count = 0
    for user in queryset:
        count += axes_reset(username=user.username.upper())
    messages.success(
        request,
        f"Sign-in unlocked for {queryset.count()} account(s); {count} lock record(s) cleared.",
    )


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ("username", "role", "first_name", "email", "is_active", "last_login")
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
        readonly = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        return readonly + self.PRIVILEGE_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        """An agency administrator sees exporters and their own agency's staff, never
        operators or other agencies' officers."""
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        profile = getattr(request.user, "officer_profile", None)
        if profile is None:
            return qs.none()
        return qs.filter(
            Q(role=User.Role.EXPORTER) | Q(officer_profile__agency_id=profile.agency_id)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser


@admin.register(IECRecord)
class IECRecordAdmin(admin.ModelAdmin):
    list_display = ("iec", "firm_name", "status", "email", "mobile", "updated_at")
    list_filter = ("status",)
    search_fields = ("iec", "firm_name", "pan", "email")


@admin.register(ExporterProfile)
class ExporterProfileAdmin(admin.ModelAdmin):
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


@admin.register(OfficerProfile)
class OfficerProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "office", "designation")
    list_filter = ("agency",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    raw_id_fields = ("user",)
    readonly_fields = ("authenticator",)

    @admin.display(description="Authenticator app (TOTP)")
    def authenticator(self, obj: OfficerProfile) -> str:
        if obj.pk is None:
            return "Save the officer first."
        device = TOTPDevice.objects.devices_for_user(obj.user, confirmed=True).first()
        if device is None:
            return "No device. Create one under OTP TOTP > TOTP devices, or with create_officer."
        return format_html(
            "<div>{}</div>"
            "<p>Scan with the officer's authenticator app. Show it only to the officer.</p>"
            "<p><code>{}</code></p>",
            qr_svg(device.config_url),
            device.config_url,
        )


@admin.register(LoginActivity)
class LoginActivityAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "at", "ip_address")
    list_filter = ("kind",)
    search_fields = ("user__username",)
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
