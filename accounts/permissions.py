"""Who is an officer, of which agency, and what they may do: the one place for these rules.

Decorators (`officer_required`), selectors (documents, certificates, the officer pages), admin
(`admin_scope`), template tags and the workflow's transitions table all ask here. Every
function takes anything with the user's attributes (an AnonymousUser answers False or None).

An officer's second factor is django-otp's mark on the session (`user.is_verified()`); an
officer who has only typed the password is an officer, but not a verified one.
"""

from __future__ import annotations

from typing import Any

from .models import User

MANAGE_EXPORTER_ACCOUNTS = "accounts.manage_exporter_accounts"
REVOKE_CERTIFICATE = "certificates.revoke_certificate"


def is_officer(user: Any) -> bool:
    """Signed in as an officer or an agency administrator."""
    return bool(user is not None and user.is_authenticated and getattr(user, "is_officer", False))


def has_second_factor(user: Any) -> bool:
    """Past the TOTP step in this session."""
    return bool(getattr(user, "is_verified", lambda: False)())


def officer_agency_id(user: Any) -> int | None:
    """The agency an officer or agency administrator works for; None for everyone else."""
    if not is_officer(user):
        return None
    profile = getattr(user, "officer_profile", None)
    return profile.agency_id if profile is not None else None


def is_agency_officer(user: Any, agency_id: int | None) -> bool:
    """An officer (or agency administrator) of that agency; the second factor is not asked."""
    return agency_id is not None and officer_agency_id(user) == agency_id


def is_verified_officer_of(user: Any, agency_id: int | None) -> bool:
    """An officer (or agency administrator) of that agency who passed the second factor."""
    return is_agency_officer(user, agency_id) and has_second_factor(user)


def is_agency_admin(user: Any, agency_id: int | None = None) -> bool:
    """An agency administrator (of `agency_id`, when given). Superusers are not: they are the
    operator, not an agency."""
    if not is_officer(user) or user.role != User.Role.AGENCY_ADMIN or user.is_superuser:
        return False
    own = officer_agency_id(user)
    return own is not None and (agency_id is None or own == agency_id)


def admin_agency_id(user: Any) -> int | None:
    """The agency an agency administrator's admin pages are scoped to; None for everyone
    else (superusers included: they see every agency)."""
    return officer_agency_id(user) if is_agency_admin(user) else None


def may_revoke(user: Any, agency_id: int | None) -> bool:
    """Revoke a certificate of that agency: its administrator, or one of its officers holding
    certificates.revoke_certificate. Superusers (the operator) may too."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if not is_agency_officer(user, agency_id):
        return False
    return user.role == User.Role.AGENCY_ADMIN or bool(user.has_perm(REVOKE_CERTIFICATE))


def is_platform_staff(user: Any) -> bool:
    """A superuser, or an operator with staff status (never an agency's own staff)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return bool(user.is_superuser or user.role == User.Role.OPERATOR)


def may_manage_exporter_accounts(user: Any) -> bool:
    """Exporters' credentials and the IEC registry: superusers, or platform staff holding the
    named permission."""
    return bool(
        user.is_authenticated
        and (
            user.is_superuser
            or (is_platform_staff(user) and user.has_perm(MANAGE_EXPORTER_ACCOUNTS))
        )
    )
