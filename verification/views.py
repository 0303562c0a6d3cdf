"""Public verification: the page, the QR link, the PDF upload check and the JSON API.

Every view here is public (login_not_required) and every lookup is rate-limited per client
address (REMOTE_ADDR; behind a proxy the proxy must set it): lookups by number in
services.verification_lookup, uploads with django-ratelimit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from certificates.models import Certificate
from certificates.selectors import certificate_pdf_bytes

from .answers import Answer, pdf_path, verify_path
from .forms import DocumentForm, VerifyForm
from .models import VerificationLog
from .services import verification_check_document, verification_lookup

NOT_FOUND_MESSAGE = "No certificate matches this number and code."


_NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


def _no_store(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """never_cache's Cache-Control without its Expires: an answer is never kept by a browser or
    a proxy (a revoked certificate must not show as valid from a cache). Formatting the Expires
    date cost about 5 % of serving a kept answer, and every HTTP/1.1 cache obeys Cache-Control.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers["Cache-Control"] = _NO_STORE
        return response

    return wrapper


def _rate(group: str, request: HttpRequest) -> str:
    # A callable, so that tests and operators can change VERIFY_RATE without a re-import.
    return settings.VERIFY_RATE


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


# ---------------------------------------------------------------------------------------------
# The verification page and the QR link
# ---------------------------------------------------------------------------------------------


def _answer(request: HttpRequest, answer: Answer | None) -> HttpResponse:
    if answer is None:
        # One answer for a wrong number, a wrong code or both: same status, same bytes.
        context = {"form": VerifyForm(), "not_found": True}
        return render(request, "verification/verify.html", context, status=404)
    if request.COOKIES:
        # The layout may greet a signed-in user or show a message: render it for them.
        response = render(request, "verification/answer.html", {"answer": answer})
    else:
        response = HttpResponse(answer.page)  # rendered for a visitor without cookies
    patch_vary_headers(response, ("Cookie",))
    return response


@login_not_required
@require_GET
@_no_store
def verify(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.GET or None)
    if not form.is_bound:
        return render(request, "verification/verify.html", {"form": form})
    if not form.is_valid():
        return render(request, "verification/verify.html", {"form": form}, status=400)
    answer = verification_lookup(
        number=form.cleaned_data["number"],
        code=form.cleaned_data["code"],
        channel=VerificationLog.Channel.PAGE,
        client_address=_client_address(request),
        rate_group="verify-page",
    )
    return _answer(request, answer)


@login_not_required
@require_GET
@_no_store
def verify_certificate(request: HttpRequest, number: str) -> HttpResponse:
    """The QR link. Without a code it asks for one, number filled in; nothing is looked up."""
    code = request.GET.get("code", "")
    if not code:
        form = VerifyForm(initial={"number": number})
        return render(request, "verification/verify.html", {"form": form})
    answer = verification_lookup(
        number=number,
        code=code,
        channel=VerificationLog.Channel.QR,
        client_address=_client_address(request),
        rate_group="verify-page",
    )
    return _answer(request, answer)


@login_not_required
@require_GET
def pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The authentic PDF, byte for byte as signed and registered."""
    answer = verification_lookup(
        number=number,
        code=request.GET.get("code", ""),
        channel=VerificationLog.Channel.PAGE,
        client_address=_client_address(request),
        rate_group="verify-page",
    )
    if answer is None:
        return HttpResponse(NOT_FOUND_MESSAGE, status=404, content_type="text/plain")
    certificate = Certificate.objects.only("number", "pdf", "sha256").get(pk=answer.certificate_id)
    # The same check as the exporter's download: bytes that no longer match the register are
    # refused (StoredFileCorruptedError, logged and alerted as a server error), never served.
    content = certificate_pdf_bytes(certificate)
    filename = certificate.number.replace("/", "-") + ".pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
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
        data=upload.read(),
        client_address=_client_address(request),
        expected_number=form.cleaned_data["expected_number"],
    )
    context: dict[str, Any] = {"form": DocumentForm(), "result": result}
    if result.authentic:
        context["certificate"] = result.certificate
        context["items"] = result.items
        context["invoices"] = result.invoices
        context["pdf_url"] = pdf_path(result.certificate)
        superseded_by = result.certificate.superseded_by
        context["replacement_url"] = verify_path(superseded_by) if superseded_by else ""
    return render(request, "verification/document.html", context)


# ---------------------------------------------------------------------------------------------
# The JSON API
# ---------------------------------------------------------------------------------------------


@login_not_required
@require_GET
@_no_store
def api_certificate(request: HttpRequest, number: str) -> HttpResponse:
    answer = verification_lookup(
        number=number,
        code=request.GET.get("code", ""),
        channel=VerificationLog.Channel.API,
        client_address=_client_address(request),
        rate_group="verify-api",
    )
    if answer is None:
        return JsonResponse({"error": "not_found", "detail": NOT_FOUND_MESSAGE}, status=404)
    # answers.certificate_document, serialised when the answer was built.
    return HttpResponse(answer.document, content_type="application/json")


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
