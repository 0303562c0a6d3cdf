"""Public verification: the page, the QR link, the PDF upload check and the JSON API.

Every view here is public (login_not_required) and every lookup is rate-limited per client
address (django-ratelimit, key "ip" = REMOTE_ADDR; behind a proxy the proxy must set it).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from certificates.models import Certificate

from .forms import DocumentForm, VerifyForm
from .models import VerificationLog
from .services import VerificationResult, verification_check_document, verification_lookup

NOT_FOUND_MESSAGE = "No certificate matches this number and code."


def _rate(group: str, request: HttpRequest) -> str:
    # A callable, so that tests and operators can change VERIFY_RATE without a re-import.
    return settings.VERIFY_RATE


def _lookup_rate(group: str, request: HttpRequest) -> str | None:
    """Only lookups count: opening the empty form, or a QR link without a code, does not."""
    return settings.VERIFY_RATE if request.GET.get("code") else None


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


# ---------------------------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------------------------


def verify_path(certificate: Certificate) -> str:
    """The QR link's path: /verify/<number>/?code=<code>."""
    url = reverse("verification:verify-certificate", kwargs={"number": certificate.number})
    return f"{url}?{urlencode({'code': certificate.verification_code})}"


def pdf_path(certificate: Certificate) -> str:
    url = reverse("verification:pdf", kwargs={"number": certificate.number})
    return f"{url}?{urlencode({'code': certificate.verification_code})}"


# ---------------------------------------------------------------------------------------------
# The verification page and the QR link
# ---------------------------------------------------------------------------------------------


def _answer(request: HttpRequest, result: VerificationResult) -> HttpResponse:
    if not result.found:
        # One answer for a wrong number, a wrong code or both: same status, same bytes.
        context = {"form": VerifyForm(), "not_found": True}
        return render(request, "verification/verify.html", context, status=404)
    certificate = result.certificate
    context = {
        "certificate": certificate,
        "items": result.items,
        "pdf_url": pdf_path(certificate),
        "replacement_url": verify_path(certificate.superseded_by)
        if certificate.superseded_by
        else "",
    }
    return render(request, "verification/answer.html", context)


@login_not_required
@require_GET
@never_cache
@ratelimit(group="verify-page", key="ip", rate=_lookup_rate, block=True)
def verify(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.GET or None)
    if not form.is_bound:
        return render(request, "verification/verify.html", {"form": form})
    if not form.is_valid():
        return render(request, "verification/verify.html", {"form": form}, status=400)
    result = verification_lookup(
        number=form.cleaned_data["number"],
        code=form.cleaned_data["code"],
        channel=VerificationLog.Channel.PAGE,
        client_address=_client_address(request),
    )
    return _answer(request, result)


@login_not_required
@require_GET
@never_cache
@ratelimit(group="verify-page", key="ip", rate=_lookup_rate, block=True)
def verify_certificate(request: HttpRequest, number: str) -> HttpResponse:
    """The QR link. Without a code it asks for one, number filled in; nothing is looked up."""
    code = request.GET.get("code", "")
    if not code:
        form = VerifyForm(initial={"number": number})
        return render(request, "verification/verify.html", {"form": form})
    result = verification_lookup(
        number=number,
        code=code,
        channel=VerificationLog.Channel.QR,
        client_address=_client_address(request),
    )
    return _answer(request, result)


@login_not_required
@require_GET
@ratelimit(group="verify-page", key="ip", rate=_rate, block=True)
def pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The authentic PDF, byte for byte as signed and registered."""
    result = verification_lookup(
        number=number,
        code=request.GET.get("code", ""),
        channel=VerificationLog.Channel.PAGE,
        client_address=_client_address(request),
    )
    if not result.found:
        return HttpResponse(NOT_FOUND_MESSAGE, status=404, content_type="text/plain")
    certificate = result.certificate
    filename = certificate.number.replace("/", "-") + ".pdf"
    response = FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_not_required
@require_GET
def ca_certificate(request: HttpRequest) -> HttpResponse:
    """The root certificates our signatures chain to, for verifiers' PDF readers."""
    from certificates.keys import SigningKeyError, ca_certificate_pem

    try:
        pem = ca_certificate_pem()
    except SigningKeyError:
        return HttpResponse(
            "No trust root is configured yet.", status=503, content_type="text/plain"
        )
    response = HttpResponse(pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="coo-portal-ca.pem"'
    return response


# ---------------------------------------------------------------------------------------------
# The PDF upload check
# ---------------------------------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
@ratelimit(group="verify-upload", key="ip", rate=_rate, method="POST", block=True)
def document(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "verification/document.html", {"form": DocumentForm()})
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "verification/document.html", {"form": form}, status=400)
    upload = form.cleaned_data["document"]
    result = verification_check_document(
        data=upload.read(), client_address=_client_address(request)
    )
    context: dict[str, Any] = {"form": DocumentForm(), "result": result}
    if result.authentic:
        context["certificate"] = result.certificate
        context["items"] = result.items
        context["pdf_url"] = pdf_path(result.certificate)
        superseded_by = result.certificate.superseded_by
        context["replacement_url"] = verify_path(superseded_by) if superseded_by else ""
    return render(request, "verification/document.html", context)


# ---------------------------------------------------------------------------------------------
# The JSON API
# ---------------------------------------------------------------------------------------------


def certificate_json(result: VerificationResult) -> dict[str, Any]:
    """The facts the verification page shows, for customs and bank systems."""
    c = result.certificate
    application = c.application
    agreement = application.agreement
    replacement = c.superseded_by
    return {
        "number": c.number,
        "status": c.status,
        "issued_at": c.issued_at.isoformat(),
        "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
        "revocation_reason": c.revocation_reason or None,
        "superseded_by": (
            {
                "number": replacement.number,
                "verification_url": settings.SITE_URL + verify_path(replacement),
            }
            if replacement
            else None
        ),
        "certificate_type": application.certificate_type,
        "agreement": {"code": agreement.code, "name": agreement.name} if agreement else None,
        "issuing_agency": {"code": application.agency.code, "name": application.agency.name},
        "office": {
            "code": application.office.code,
            "name": application.office.name,
            "city": application.office.city,
        },
        "exporter": {"name": c.exporter_name},
        "destination_country": {
            "code": application.destination_country.code,
            "name": application.destination_country.name,
        },
        "consignee_country": (
            {"code": application.consignee_country.code, "name": application.consignee_country.name}
            if application.consignee_country
            else None
        ),
        "items": [
            {
                "position": item.position,
                "description": item.description,
                "hs_code": item.hs_code,
                "quantity": str(item.quantity),
                "unit": item.unit,
            }
            for item in result.items
        ],
        "sha256": c.sha256,
        "pdf_url": settings.SITE_URL + pdf_path(c),
        "verification_url": settings.SITE_URL + verify_path(c),
    }


@login_not_required
@require_GET
@never_cache
@ratelimit(group="verify-api", key="ip", rate=_rate, block=True)
def api_certificate(request: HttpRequest, number: str) -> JsonResponse:
    result = verification_lookup(
        number=number,
        code=request.GET.get("code", ""),
        channel=VerificationLog.Channel.API,
        client_address=_client_address(request),
    )
    if not result.found:
        return JsonResponse({"error": "not_found", "detail": NOT_FOUND_MESSAGE}, status=404)
    return JsonResponse(certificate_json(result))


# ---------------------------------------------------------------------------------------------
# Too many requests (settings.RATELIMIT_VIEW, called by django-ratelimit's middleware)
# ---------------------------------------------------------------------------------------------


@login_not_required
def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    message = "Too many requests from your address. Wait a minute, then try again."
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"error": "rate_limited", "detail": message}, status=429
        )
    else:
        response = HttpResponse(message + "\n", status=429, content_type="text/plain")
    response["Retry-After"] = "60"
    return response
