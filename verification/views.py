"""Public verification: the page, the QR link, the PDF upload check and the JSON API.

Every view here is public (login_not_required) and every lookup is rate-limited per client
address (core.clientip: X-Forwarded-For only from TRUSTED_PROXIES), in one count for
page, QR link, PDF download, API, credential check and upload together:
services.verification_lookup and services.verification_rate_count.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from certificates.credential import MEDIA_TYPE, context_document
from certificates.keys import SigningKeyError, ca_certificate_pem
from certificates.models import Certificate, Credential
from certificates.selectors import certificate_pdf_bytes
from core import sandbox
from core.body_limit import accepts_upload
from core.clientip import client_ip

from .answers import (
    DOCUMENT,
    PAGE,
    Answer,
    answer_in_language,
    credential_path,
    not_found_page,
    pdf_path,
    verify_path,
)
from .credentials import (
    STATUS_LIST_MAX_AGE,
    agency_did_document,
    jwks_document,
    portal_did_document,
    status_list_get,
    verification_check_credential,
    verification_check_credential_pdf,
)
from .forms import CredentialForm, DocumentForm, VerifyForm
from .models import VerificationLog
from .services import (
    verification_check_document,
    verification_lookup,
    verification_rate_count,
)

NOT_FOUND_MESSAGE = "No certificate matches this number and code."


# The forms of an answer each view shows (services.verification_lookup builds only those).
_PAGE, _DOCUMENT = frozenset({PAGE}), frozenset({DOCUMENT})
_NOTHING: frozenset[str] = frozenset()

NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


def _no_store(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """never_cache's Cache-Control without its Expires: an answer is never kept by a browser or
    a proxy (a revoked certificate must not show as valid from a cache). Formatting the Expires
    date cost about 5 % of serving a kept answer, and every HTTP/1.1 cache obeys Cache-Control.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers["Cache-Control"] = NO_STORE
        return response

    return wrapper


# ---------------------------------------------------------------------------------------------
# The verification page and the QR link
# ---------------------------------------------------------------------------------------------


def _answer(request: HttpRequest, answer: Answer | None, number: str = "") -> HttpResponse:
    if answer is not None and translation.get_language() != settings.LANGUAGE_CODE:
        # Kept answers are English; a reader who chose Hindi gets theirs built afresh (one
        # query; the lookup was counted and logged already).
        answer = answer_in_language(number) or answer
    if answer is None:
        # One answer for a wrong number, a wrong code or both: same status, same bytes.
        if request.COOKIES:
            context = {"form": VerifyForm(), "not_found": True}
            return render(request, "verification/verify.html", context, status=404)
        response = HttpResponse(not_found_page(), status=404)
        # The miss is in the verification log already (outcome "not found"): Django's
        # "Not Found" warning for every mistyped code would only repeat it, at a cost.
        response._has_been_logged = True  # type: ignore[attr-defined]  # read by log_response
        return response
    if request.COOKIES:
        # The layout may greet a signed-in user or show a message: render it for them.
        response = render(request, "verification/answer.html", {"answer": answer})
        patch_vary_headers(response, ("Cookie",))
        return response
    return visitor_page(answer)


def visitor_page(answer: Answer) -> HttpResponse:
    """The answer page of a visitor without cookies, rendered when the answer was built (the
    view's response, and the edge's: verification/edge.py)."""
    response = HttpResponse(answer.page)
    patch_vary_headers(response, ("Cookie",))
    return response


def api_document(answer: Answer) -> HttpResponse:
    """The API's answer (answers.certificate_document, serialised when the answer was built)."""
    return HttpResponse(answer.document, content_type="application/json")


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
        client_address=client_ip(request),
        kinds=_PAGE,
    )
    return _answer(request, answer, form.cleaned_data["number"])


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
        client_address=client_ip(request),
        kinds=_PAGE,
        begun=getattr(request, "verification_begun", None),  # by verification/edge.py
    )
    return _answer(request, answer, number)


@login_not_required
@require_GET
def pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The authentic PDF, byte for byte as signed and registered."""
    answer = _download_lookup(request, number)
    if answer is None:
        return HttpResponse(NOT_FOUND_MESSAGE, status=404, content_type="text/plain")
    certificate = Certificate.objects.only("number", "pdf", "sha256").get(pk=answer.certificate_id)
    # The same check as the exporter's download: bytes that no longer match the register are
    # refused (StoredFileCorruptedError, logged and alerted as a server error), never served.
    content = certificate_pdf_bytes(certificate)
    filename = certificate.number.replace("/", "-") + ".pdf"
    return _download(content, "application/pdf", filename)


@login_not_required
@require_GET
def ca_certificate(request: HttpRequest) -> HttpResponse:
    """The root certificates our signatures chain to, for verifiers' PDF readers."""

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

# Seconds a visitor is asked to wait when every upload check slot of the process is taken.
CHECKS_BUSY_RETRY_AFTER = 10


def _checks_busy(request: HttpRequest, template: str, form: Form) -> HttpResponse:
    """Other uploaded files are being checked in this process (document_check.CHECKS_AT_ONCE):
    the file was not checked, and the page says so, with the form to send it again."""
    form.add_error(
        None,
        _(
            "Other files are being checked right now, so yours was not checked. "
            "Send it again in a few seconds."
        ),
    )
    response = render(request, template, {"form": form}, status=503)
    response["Retry-After"] = str(CHECKS_BUSY_RETRY_AFTER)
    return response


@login_not_required
@accepts_upload
@require_http_methods(["GET", "POST"])
def document(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "verification/document.html", {"form": DocumentForm()})
    verification_rate_count(client_address=client_ip(request))
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "verification/document.html", {"form": form}, status=400)
    upload = form.cleaned_data["document"]
    try:
        result = verification_check_document(
            data=upload.read(),
            client_address=client_ip(request),
            expected_number=form.cleaned_data["expected_number"],
        )
    except sandbox.Busy:
        return _checks_busy(request, "verification/document.html", form)
    context: dict[str, Any] = {"form": DocumentForm(), "result": result}
    if result.authentic and result.certificate is not None:
        context["certificate"] = result.certificate
        context["items"] = result.items
        context["invoices"] = result.invoices
        context["pdf_url"] = pdf_path(result.certificate)
        context["credential_url"] = credential_path(result.certificate)
        superseded_by = result.certificate.superseded_by
        context["replacement_url"] = verify_path(superseded_by) if superseded_by else ""
    status = 422 if result.unprocessable else 200
    return render(request, "verification/document.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# Verifiable Credentials: the check, the download, and what a verifier needs to check offline
# ---------------------------------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def credential(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "verification/credential.html", {"form": CredentialForm()})
    # One count with every other verification channel (VERIFY_RATE).
    verification_rate_count(client_address=client_ip(request))
    form = CredentialForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "verification/credential.html", {"form": form}, status=400)
    if form.cleaned_data.get("pdf"):
        try:
            answer = verification_check_credential_pdf(
                data=form.cleaned_data["pdf"], client_address=client_ip(request)
            )
        except sandbox.Busy:
            return _checks_busy(request, "verification/credential.html", form)
    else:
        answer = verification_check_credential(
            token=form.cleaned_data["token"], client_address=client_ip(request)
        )
    context = {"form": CredentialForm(), "answer": answer, "check": answer.check}
    return render(request, "verification/credential.html", context)


@login_not_required
@require_GET
def credential_download(request: HttpRequest, number: str) -> HttpResponse:
    """The certificate's credential (vc+jwt), for whoever has its number and code."""
    answer = _download_lookup(request, number)
    issued = (
        Credential.objects.filter(certificate_id=answer.certificate_id).exclude(jwt="").first()
        if answer is not None
        else None
    )
    if issued is None:
        return HttpResponse(NOT_FOUND_MESSAGE, status=404, content_type="text/plain")
    return _download(issued.jwt, MEDIA_TYPE, normalise_filename(number) + ".jwt")


def _download_lookup(request: HttpRequest, number: str) -> Answer | None:
    """The certificate behind a download link (its number and code): counted and logged as a
    lookup, with no answer page built."""
    return verification_lookup(
        number=number,
        code=request.GET.get("code", ""),
        channel=VerificationLog.Channel.PAGE,
        client_address=client_ip(request),
        kinds=_NOTHING,
    )


def _download(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def normalise_filename(number: str) -> str:
    return number.strip("/").upper().replace("/", "-")


def _public_json(document: object, *, content_type: str = "application/json") -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type=content_type
    )
    # Keys and the context change rarely (a key rotation); verifiers' browsers may fetch them.
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@login_not_required
@require_GET
def portal_did(request: HttpRequest) -> HttpResponse:
    return _public_json(portal_did_document(), content_type="application/did+json")


@login_not_required
@require_GET
def agency_did(request: HttpRequest, agency: str) -> HttpResponse:
    document = agency_did_document(agency)
    if document is None:
        raise Http404("No such agency")
    return _public_json(document, content_type="application/did+json")


@login_not_required
@require_GET
def jwks(request: HttpRequest) -> HttpResponse:
    return _public_json(jwks_document(), content_type="application/jwk-set+json")


@login_not_required
@require_GET
def credential_context(request: HttpRequest) -> HttpResponse:
    return _public_json(context_document(), content_type="application/ld+json")


@login_not_required
@require_GET
def status_list(
    request: HttpRequest, agency: str, list_number: int, purpose: str = "revocation"
) -> HttpResponse:
    """The agency's status list credential (revocation, or with `purpose="message"` the
    valid/revoked/superseded list), as the register is now (see credentials.py)."""
    found = status_list_get(agency_code=agency, list_number=list_number, purpose=purpose)
    if found is None:
        raise Http404("No such status list")
    cache_control = f"public, max-age={STATUS_LIST_MAX_AGE}"
    asked = {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}
    if found.etag in asked or "*" in asked:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(found.token, content_type=MEDIA_TYPE)
    response["ETag"] = found.etag
    response["Cache-Control"] = cache_control
    response["Access-Control-Allow-Origin"] = "*"
    return response


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
        client_address=client_ip(request),
        kinds=_DOCUMENT,
        begun=getattr(request, "verification_begun", None),  # by verification/edge.py
    )
    if answer is None:
        return JsonResponse({"error": "not_found", "detail": NOT_FOUND_MESSAGE}, status=404)
    return api_document(answer)


# ---------------------------------------------------------------------------------------------
# Too many requests (settings.RATELIMIT_VIEW, called by django-ratelimit's middleware)
# ---------------------------------------------------------------------------------------------


RETRY_AFTER_SECONDS = 60  # the limits count per minute


@login_not_required
def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    message = "Too many requests from your address. Wait a minute, then try again."
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"error": "rate_limited", "detail": message}, status=429
        )
    else:
        # The site's own page, so that a verifier knows where they are and what to do next.
        context = {"message": message, "retry_after": RETRY_AFTER_SECONDS}
        response = render(request, "errors/429.html", context, status=429)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
