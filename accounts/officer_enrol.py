"""An agency administrator's (or platform staff's) first sign-in: no authenticator yet, so after
the password step they set one up here (QR code or key, then a code from the app) instead of
being refused. So does an officer their administrator invited, or whose authenticator the
administrator reset (OfficerProfile.must_enrol, accounts.officers); other officers without one
are still told to ask their administrator.

Only someone who passed the password step reaches this page (accounts.officer_auth notes them
in the session), and only while the account has no confirmed device.
"""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import OfficerProfile, User


def enrolling_user(state: dict[str, Any] | None) -> User | None:
    """The administrator this pending sign-in may set up an authenticator for, if any."""
    if not state or not state.get("uid"):
        return None
    user = User.objects.filter(pk=state["uid"], is_active=True).first()
    if user is None:
        return None
    invited = OfficerProfile.objects.filter(user=user, must_enrol=True).exists()
    # A verifier's account is made by platform staff; its person sets up the app on first use.
    first_use = user.role in {User.Role.AGENCY_ADMIN, User.Role.VERIFIER} or user.is_staff
    if not (first_use or invited):
        return None
    if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        return None
    return user
