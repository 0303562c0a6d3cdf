"""Error reporting to Sentry when SENTRY_DSN is set, with secrets scrubbed before sending.

An event carries the request (query string, form, headers, cookies), local variables of each
frame and breadcrumbs (log lines). Whatever sits under a sensitive name is replaced, at any
depth: passwords, OTPs, verification codes, keys, tokens, cookies and sessions; a PEM private
key or a `code=`/`otp=`/`token=` pair inside any string is cut out too. sentry-sdk's own
defaults (send_default_pii off) come first; this is the second net, for what they do not know
(a verification code is not a "password" to them).
"""

from __future__ import annotations

import re
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

FILTERED = "[Filtered]"
SENSITIVE_NAME = re.compile(
    r"pass(word|wd|phrase)?|secret|token|otp|code|key|authorization|cookie|session|csrf|"
    r"signature|dsn|credential|pin\b|captcha",
    re.IGNORECASE,
)
PEM_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)
PAIR = re.compile(r"((?:code|otp|token|password|key|secret)[\w-]*=)[^&\s;,'\"]+", re.IGNORECASE)


def _scrub_text(text: str) -> str:
    return PAIR.sub(rf"\1{FILTERED}", PEM_KEY.sub(FILTERED, text))


def scrub(value: Any) -> Any:
    """`value` with every sensitive entry replaced (dicts, lists and strings, at any depth)."""
    if isinstance(value, dict):
        return {
            key: FILTERED
            if isinstance(key, str) and SENSITIVE_NAME.search(key) and value[key] not in (None, "")
            else scrub(value[key])
            for key in value
        }
    if isinstance(value, list | tuple):
        # Headers come as [name, value] pairs.
        if len(value) == 2 and isinstance(value[0], str) and SENSITIVE_NAME.search(value[0]):
            return [value[0], FILTERED]
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return _scrub_text(value)
    return value


def scrub_event(event: Any, hint: dict[str, Any] | None = None) -> Any:
    """sentry-sdk's before_send and before_breadcrumb hook (an Event or a Breadcrumb: dicts)."""
    return scrub(event)


def init(*, dsn: str, environment: str, release: str | None = None) -> None:
    """Called by settings when SENTRY_DSN is set."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        include_local_variables=True,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=scrub_event,
        before_breadcrumb=scrub_event,
    )
