from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest

from accounts import firms


def site(request: HttpRequest) -> dict[str, object]:
    """Service name, support contacts and the user's role for the layout's navigation."""
    user = getattr(request, "user", None)
    role = getattr(user, "role", None) if user is not None and user.is_authenticated else None
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "SITE_HOST": urlsplit(settings.SITE_URL).netloc,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "SUPPORT_PHONE": settings.SUPPORT_PHONE,
        "DEBUG": settings.DEBUG,
        # A staging site running the sandbox gateway says so on every page.
        "PAYMENTS_SIMULATED": settings.PAYMENT_SANDBOX_ALLOWED_ON_STAGING
        and settings.PAYMENT_GATEWAY == "sandbox",
        "user_role": role,
        # Whether to offer "People": read when the layout asks (a callable), from what
        # accounts.firms already holds for this request's user.
        "manages_firm": lambda: firms.may(
            user, firms.acting_firm_id(request), firms.Capability.MANAGE
        ),
        "keeps_wallet": lambda: firms.may(
            user, firms.acting_firm_id(request), firms.Capability.WALLET
        ),
    }
