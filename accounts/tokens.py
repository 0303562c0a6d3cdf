"""Stateless, single-use link tokens (the pattern of django.contrib.auth.tokens).

A token is `<timestamp in base 36>-<HMAC>`; the HMAC covers the timestamp and the state the link
is meant to change, so once that state changes (email verified, password set) the token no
longer matches. Nothing is stored, and the comparison runs in constant time.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36

from .models import User


class TokenCheck(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"  # wrong, tampered with, or already used


class _LinkToken:
    key_salt: str = ""

    def timeout(self) -> int:
        raise NotImplementedError

    def state(self, user: User) -> str:
        raise NotImplementedError

    def _now(self) -> int:
        return int(time.time())

    def _make(self, user: User, timestamp: int) -> str:
        ts_b36 = int_to_base36(timestamp)
        digest = salted_hmac(
            self.key_salt,
            f"{user.pk}{self.state(user)}{timestamp}",
            secret=settings.SECRET_KEY,
            algorithm="sha256",
        ).hexdigest()[::2]
        return f"{ts_b36}-{digest}"

    def make_token(self, user: User) -> str:
        return self._make(user, self._now())

    def check(self, user: User | None, token: str | None) -> TokenCheck:
        if user is None or not token or "-" not in token:
            return TokenCheck.INVALID
        ts_b36 = token.split("-", 1)[0]
        try:
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return TokenCheck.INVALID
        if not constant_time_compare(self._make(user, timestamp), token):
            return TokenCheck.INVALID
        if self._now() - timestamp > self.timeout():
            return TokenCheck.EXPIRED
        return TokenCheck.VALID


class EmailVerificationToken(_LinkToken):
    """24 hours; dies when the email is verified or registration starts again."""

    key_salt = "accounts.tokens.EmailVerificationToken"

    def timeout(self) -> int:
        return 24 * 60 * 60

    def state(self, user: User) -> str:
        profile = user.exporter_profile
        verified = profile.email_verified_at.isoformat() if profile.email_verified_at else ""
        return f"{user.email}{user.password}{verified}"


class PasswordResetToken(_LinkToken):
    """PASSWORD_RESET_TIMEOUT (one hour); dies once the password changes."""

    key_salt = "accounts.tokens.PasswordResetToken"

    def timeout(self) -> int:
        return int(settings.PASSWORD_RESET_TIMEOUT)

    def state(self, user: User) -> str:
        login = (
            user.last_login.replace(microsecond=0, tzinfo=None).isoformat()
            if user.last_login
            else ""
        )
        return f"{user.email}{user.password}{login}"


class OfficerInvitationToken(_LinkToken):
    """Three days; dies once the invited officer sets a password, and with a
    deactivation (the state covers both)."""

    key_salt = "accounts.tokens.OfficerInvitationToken"
    days = 3

    def timeout(self) -> int:
        return self.days * 24 * 60 * 60

    def state(self, user: User) -> str:
        return f"{user.email}{user.password}{user.is_active}"


email_verification_token = EmailVerificationToken()
officer_invitation_token = OfficerInvitationToken()
password_reset_token = PasswordResetToken()


def registration_attempt(user: User) -> str:
    """A fingerprint of the registration attempt the account is in.

    registration_start gives the pending account a fresh unusable password (random each time),
    and registration_complete sets the real one: so the fingerprint changes with every new
    attempt and once the password is set. A browser's proofs (the email link opened in it, the
    SMS code entered in it) are kept in its session with this fingerprint, and count only
    while it still matches.
    """
    return salted_hmac(
        "accounts.tokens.registration_attempt",
        f"{user.pk}{user.password}",
        secret=settings.SECRET_KEY,
        algorithm="sha256",
    ).hexdigest()


def registration_in_progress(
    session: Any,
    *,
    key: str,
    load: Callable[[int], User | None],
    completed: Callable[[User], object],
) -> tuple[User, dict[str, Any]] | None:
    """The account whose email link this browser opened (the session's `key`), while that
    attempt is the current one: a newer attempt, or a completed registration, voids the
    browser's proofs (the state is dropped). Exporters' and agents' registrations alike."""
    state = session.get(key)
    if not isinstance(state, dict) or not state.get("uid"):
        return None
    user = load(state["uid"])
    if (
        user is None
        or completed(user)
        or not constant_time_compare(registration_attempt(user), state.get("attempt", ""))
    ):
        session.pop(key, None)
        return None
    return user, state
