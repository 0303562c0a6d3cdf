"""Ways to reach the answer, and state changes, shared by the verification tests."""

from __future__ import annotations

from urllib.parse import urlencode

from django.test import Client
from django.urls import reverse

from certificates.models import Certificate

CHANNELS = ("page", "qr", "api")


def page_url(number: str, code: str) -> str:
    return reverse("verification:verify") + "?" + urlencode({"number": number, "code": code})


def qr_url(number: str, code: str) -> str:
    url = reverse("verification:verify-certificate", kwargs={"number": number})
    return f"{url}?{urlencode({'code': code})}"


def api_url(number: str, code: str) -> str:
    url = reverse("verification:api-certificate", kwargs={"number": number})
    return f"{url}?{urlencode({'code': code})}"


URLS = {"page": page_url, "qr": qr_url, "api": api_url}


def look_up(client: Client, channel: str, number: str, code: str, **extra: str):
    return client.get(URLS[channel](number, code), **extra)


def revoke(certificate: Certificate, reason: str, *, actor) -> Certificate:
    """Revoke as the agency does it, through the certificates app's service."""
    from certificates.services import certificate_revoke

    certificate_revoke(certificate_id=certificate.pk, actor=actor, reason=reason)
    certificate.refresh_from_db()
    return certificate


def supersede(certificate: Certificate, *, by: Certificate) -> Certificate:
    """Mark a certificate replaced, as certificate_issue does for an in-lieu certificate.

    Issuing a real replacement takes the whole application workflow and a signing key; what
    verification reads is only the resulting state, so it is set directly here, and the kept
    answer forgotten as certificate_issue does.
    """
    from verification.services import verification_answer_forget

    Certificate.objects.filter(pk=certificate.pk).update(
        status=Certificate.Status.SUPERSEDED, superseded_by=by
    )
    verification_answer_forget(number=certificate.number)
    certificate.refresh_from_db()
    return certificate
