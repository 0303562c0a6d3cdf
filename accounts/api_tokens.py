"""API tokens: created by a person for themselves, within what they may do, stored hashed.

A token's scopes (read, draft, submit) are checked against the person's capabilities in
accounts/firms.py when it is created; every call checks them again (api/auth.py), since the
person's role or an agent's authorisation may have changed since. The secret is 32 random
bytes: a SHA-256 of it is enough to look it up and cannot be reversed (a password hash's
slowness protects guessable secrets, which this is not).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from . import firms
from .models import ApiToken, User

TOKEN_PREFIX = "coo_"  # noqa: S105 - a public prefix that marks a token, not a secret
MAX_DAYS = 365
# Last use is written at most this often, so that a busy token does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)

SCOPE_NEEDS: dict[str, firms.Capability] = {
    ApiToken.Scope.READ: firms.Capability.VIEW,
    ApiToken.Scope.DRAFT: firms.Capability.DRAFT,
    ApiToken.Scope.SUBMIT: firms.Capability.SUBMIT,
}


class TokenRefused(Exception):  # noqa: N818 - reads as the outcome
    """A token that may not be created; the message is written for the person."""


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def capabilities_of(user: User) -> frozenset[firms.Capability]:
    """Everything `user` may do in at least one firm now (an agent's staff without an
    authorisation in force still files: they get an agent's capabilities)."""
    access = firms.access_for(user)
    caps: set[firms.Capability] = set()
    for role in access.roles.values():
        caps |= firms.CAPABILITIES[role]
    if access.agent_id is not None:
        caps |= firms.CAPABILITIES[firms.AGENT]
    return frozenset(caps)


def scopes_allowed(user: User) -> list[str]:
    """The scopes `user` may give a token of their own."""
    caps = capabilities_of(user)
    return [scope for scope, need in SCOPE_NEEDS.items() if need in caps]


@transaction.atomic
def api_token_create(
    *, user: User, name: str, scopes: list[str], days: int
) -> tuple[ApiToken, str]:
    """A new token for `user` and its secret (shown once). Refused for anyone who files for no
    firm, for a scope beyond their capability, and for a lifetime outside 1..MAX_DAYS."""
    if not firms.files_for_firms(user):
        raise TokenRefused("Only a firm's members and agents' staff can create API tokens.")
    unknown = set(scopes) - set(SCOPE_NEEDS)
    if unknown or not scopes:
        raise TokenRefused("Choose at least one scope: read, draft or submit.")
    beyond = [s for s in scopes if s not in scopes_allowed(user)]
    if beyond:
        raise TokenRefused(f"Your role does not allow the scope {', '.join(sorted(beyond))}.")
    return token_issue(
        user=user, name=name, scopes=sorted(set(scopes), key=list(SCOPE_NEEDS).index), days=days
    )


def token_issue(*, user: User, name: str, scopes: list[str], days: int) -> tuple[ApiToken, str]:
    """Make the token, once the caller has checked that `user` may hold `scopes` (firms'
    tokens above; verifier organisations' in verification.requests)."""
    if not 1 <= days <= MAX_DAYS:
        raise TokenRefused(f"A token lives from 1 to {MAX_DAYS} days.")
    name = name.strip()[:100] or "API token"
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:12],
        key_hash=_hash(raw),
        scopes=scopes,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> bool:
    """Revoke one of `user`'s own tokens; False if they have no such live token."""
    return bool(
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token for this secret (not revoked, not expired, its person active), its last
    use recorded; None otherwise."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(raw), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_tokens_of(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user))
