"""Signing and sending a webhook the Standard Webhooks way (standardwebhooks.com): one small
module, with no model and no portal state, so that the filing API's webhooks can share it.

A receiver checks `webhook-signature` with its secret (`whsec_...`) over
`<webhook-id>.<webhook-timestamp>.<body>` (HMAC-SHA256, base64), e.g. with the
`standardwebhooks` package's Webhook(secret).verify(body, headers); `webhook-id` stays the
same when a delivery is retried, so it can drop duplicates.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import secrets
import socket
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from standardwebhooks.webhooks import Webhook

USER_AGENT = "COO-Portal-Webhooks/1"


def webhook_url_problem(url: str) -> str | None:
    """Why a webhook may not be sent to `url` (None when it may): https only, and never to
    this machine's or a private network's addresses (the portal must not be made to call
    its own internal services), unless WEBHOOK_ALLOW_PRIVATE_URLS (the tests' local
    receiver; a system check refuses it with DEBUG off). Checked when an address is given
    and again before every send."""
    parts = urlsplit(url)
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_URLS
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        return "The address must start with https://."
    if not parts.hostname:
        return "The address has no host."
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return "The address's host does not resolve."
    for info in infos:
        if not ipaddress.ip_address(info[4][0]).is_global:
            return "The address points to a private network."
    return None


class WebhookDeliveryError(Exception):
    """The receiver did not take the delivery (network error, timeout, a non-2xx answer)."""


def secret_generate() -> str:
    """A new signing secret as Standard Webhooks writes it: whsec_ + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def webhook_headers(*, secret: str, msg_id: str, body: str, at: dt.datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for a body sent at `at`."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body),
    }


def webhook_body(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


def webhook_send(
    *, url: str, secret: str, msg_id: str, payload: dict[str, Any], timeout: float = 10.0
) -> int:
    """POST the payload, signed; the answer's status. Raises WebhookDeliveryError unless 2xx.
    Redirects are not followed (a redirect could point the signed body anywhere)."""
    problem = webhook_url_problem(url)
    if problem:
        raise WebhookDeliveryError(f"{url} refused: {problem}")
    body = webhook_body(payload)
    at = dt.datetime.now(tz=dt.UTC)
    request = urllib.request.Request(  # noqa: S310 (the caller allows https only, or http in tests)
        url,
        data=body.encode("utf-8"),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **webhook_headers(secret=secret, msg_id=msg_id, body=body, at=at),
        },
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        raise WebhookDeliveryError(f"{url} answered {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise WebhookDeliveryError(f"{url} could not be reached: {exc}") from exc
    if not 200 <= status < 300:
        raise WebhookDeliveryError(f"{url} answered {status}")
    return status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
