"""Bearer tokens for the API, scopes, and per-token rate limits (named policies)."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest
from ninja.security import HttpBearer

from accounts import firms
from accounts.api_tokens import api_token_authenticate
from accounts.models import ApiToken, User
from core import ratelimits

from .problems import ApiProblem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """`Authorization: Bearer coo_...`: the call acts as the token's person."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_authenticate(token)
        if found is None:
            return None
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]  # read by the endpoints
        _rate_limit(request, found)
        return found


def _rate_limit(request: HttpRequest, token: ApiToken) -> None:
    name = "api-read" if request.method in SAFE_METHODS else "api-write"
    limit, period = ratelimits.policy(name).limit_and_period()
    if ratelimits.hits(name, key=str(token.pk), increment=True) > limit:
        raise ApiProblem(
            429,
            "Too many requests",
            f"This token may make {limit} such requests in {period} seconds.",
            kind="rate-limited",
            headers={"Retry-After": str(period)},
        )


def token_of(request: HttpRequest) -> ApiToken:
    token: ApiToken = request.auth  # type: ignore[attr-defined]  # set by ninja after TokenAuth
    return token


def require_scope(request: HttpRequest, scope: str) -> None:
    """403 unless the token carries `scope`."""
    if scope not in token_of(request).scopes:
        raise ApiProblem(
            403, "Forbidden", f"This token does not have the {scope} scope.", kind="scope"
        )


def require_capability(request: HttpRequest, firm_id: int, capability: firms.Capability) -> None:
    """403 unless the token's person may do `capability` for the firm now (accounts.firms)."""
    if not firms.may(request.user, firm_id, capability):
        detail = firms.SUBMIT_REFUSAL if capability == firms.Capability.SUBMIT else firms.NOT_YOURS
        raise ApiProblem(403, "Forbidden", detail, kind="role")


def user_of(request: HttpRequest) -> User:
    """The token's person (TokenAuth set it; an unauthenticated call never gets this far)."""
    return cast(User, request.user)
