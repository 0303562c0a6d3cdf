"""Certificate pages: download, revoke (officers), request a correction (exporters)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from applications.models import Application
from applications.selectors import application_get_for_exporter

from . import pki
from .credential import MEDIA_TYPE
from .forms import RevokeForm
from .models import Credential
from .selectors import (
    application_page_path,
    certificate_get_for_exporter,
    certificate_get_for_revoker,
    certificate_get_for_viewer,
    certificate_pdf_bytes,
    user_may_revoke,
)
from .services import (
    CertificateError,
    certificate_request_certified_copy,
    certificate_request_replacement,
    certificate_revoke,
    self_declaration_make,
)

logger = logging.getLogger(__name__)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # LoginRequiredMiddleware: never anonymous here


@require_GET
def download(request: HttpRequest, key: str) -> HttpResponse:
    """The signed PDF exactly as stored at issuance, for its exporter or the agency's
    verified officers (404 for everyone else)."""
    certificate = certificate_get_for_viewer(key=key, user=_user(request))
    content = certificate_pdf_bytes(certificate)
    response = HttpResponse(content, content_type="application/pdf")
    filename = certificate.number.replace("/", "-") + ".pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def credential(request: HttpRequest, key: str) -> HttpResponse:
    """The certificate's Verifiable Credential (vc+jwt), with the signed PDF's hash, for the
    same people as the PDF."""
    certificate = certificate_get_for_viewer(key=key, user=_user(request))
    issued = Credential.objects.filter(certificate=certificate).exclude(jwt="").first()
    if issued is None:  # issued before credentials were
        raise Http404("No credential was issued with this certificate.")
    response = HttpResponse(issued.jwt, content_type=MEDIA_TYPE)
    filename = certificate.number.replace("/", "-") + ".jwt"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, number: str) -> HttpResponse:
    certificate = certificate_get_for_revoker(number=number, user=_user(request))
    allowed = user_may_revoke(_user(request), certificate)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and allowed and form.is_valid():
        try:
            revoked = certificate_revoke(
                certificate_id=certificate.pk,
                actor=_user(request),
                reason=form.cleaned_data["reason"],
            )
        except CertificateError as exc:
            form.add_error(None, str(exc))
        else:
            told = revoked.notified.message_for(_user(request)) if revoked.notified else ""
            messages.success(
                request, f"Certificate {certificate.number} has been revoked. {told}".strip()
            )
            return redirect("certificates:revoke", number=certificate.number)
    context = {"certificate": certificate, "form": form, "allowed": allowed}
    return render(request, "certificates/revoke.html", context, status=200 if allowed else 403)


@require_POST
def request_replacement(request: HttpRequest, number: str) -> HttpResponse:
    return _application_from_certificate(
        request,
        number,
        certificate_request_replacement,
        "{made} is a copy of your application, with its documents, to correct and submit. "
        "Once issued, it replaces certificate {number}.",
    )


@require_POST
def request_certified_copy(request: HttpRequest, number: str) -> HttpResponse:
    return _application_from_certificate(
        request,
        number,
        certificate_request_certified_copy,
        "{made} asks for a certified true copy of certificate {number}: submit it to the "
        "agency. The copy will print the original's particulars, number and date; the original "
        "stays valid.",
    )


def _application_from_certificate(
    request: HttpRequest,
    number: str,
    service: Callable[..., Application],
    told: str,
) -> HttpResponse:
    """An exporter's request that starts a new application from an issued certificate (an
    in-lieu replacement, a certified copy): the new application's page, saying `told` (with its
    reference as {made} and the certificate's number as {number}), or the refusal on the
    certificate's own application page."""
    certificate = certificate_get_for_exporter(number=number, user=_user(request))
    try:
        made = service(
            certificate_id=certificate.pk,
            exporter=_user(request),
            reason=request.POST.get("reason", ""),
        )
    except CertificateError as exc:
        messages.error(request, str(exc))
        return redirect(application_page_path(certificate.application.reference))
    messages.success(request, told.format(made=made.reference, number=certificate.number))
    return redirect(application_page_path(made.reference))


@require_POST
def make_self_declaration(request: HttpRequest, reference: str) -> HttpResponse:
    """The firm's signatory makes the India-EFTA self-declaration they signed (no agency
    certifies it): it is numbered, signed by the portal and registered like a certificate."""
    application = application_get_for_exporter(reference=reference, user=_user(request))
    try:
        made = self_declaration_make(application_id=application.pk, exporter=_user(request))
    except CertificateError as exc:
        messages.error(request, str(exc))
        return redirect("applications:check", reference)
    messages.success(
        request,
        gettext(
            "You made the self-declaration of origin for %(reference)s. No agency certifies "
            "it: the portal numbers it and signs it for the record, and its PDF and credential "
            "appear on this page once signed."
        )
        % {"reference": made.reference},
    )
    return redirect(application_page_path(made.reference))


# A CRL is valid for days and signed; a short cache keeps relying parties close to current.
CRL_MAX_AGE = 300


@login_not_required
@require_GET
def crl(request: HttpRequest, agency: str) -> HttpResponse:
    """The current CRL of the agency's CA: the distribution point its signing certificates
    name (SITE_URL/pki/<AGENCY>.crl). Public: PDF readers and validators fetch it."""
    try:
        der = pki.agency_crl(agency)
    except pki.PkiError:
        logger.exception("The CRL of %s cannot be read", agency)
        return HttpResponse("The CRL is unavailable.", status=503, content_type="text/plain")
    if der is None:
        raise Http404("No CRL is published for this agency.")
    response = HttpResponse(der, content_type="application/pkix-crl")
    response["Cache-Control"] = f"public, max-age={CRL_MAX_AGE}"
    response["Content-Disposition"] = f'inline; filename="{agency}.crl"'
    return response
