"""Verification requests' pages for the verifier and for the exporter (verification/requests.py).

The verifier's pages need a signed-in person of a confirmed customs authority past the second
factor (`verifier_required`); every request is looked up within their organisation, so another
organisation's is a 404. The exporter's pages need someone who files for the certificate's firm
(`exporter_required`), and show a request only once the agency has assigned it. The agency's
pages are in review/ (officers only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import get_valid_filename
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import exporter_required
from accounts.models import User
from accounts.permissions import has_second_factor, is_agency_officer
from core.body_limit import accepts_upload
from core.storage import open_verified
from core.uploads import EXTENSIONS

from . import requests as service
from .forms import RequestAnswerForm, VerificationRequestForm, VerifierTokenForm
from .models import RequestAttachment, VerificationRequest
from .utilisation import verifier_organisation_of
from .verifier_views import _certificate, verifier_required

View = Callable[..., HttpResponse]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@require_http_methods(["GET", "POST"])
@verifier_required
def verifier_home(request: HttpRequest) -> HttpResponse:
    """The organisation's requests, and API tokens to read them from its own systems."""
    organisation = verifier_organisation_of(_user(request))
    assert organisation is not None  # noqa: S101 - verifier_required
    form = VerifierTokenForm(request.POST or None)
    secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            _, secret = service.verifier_token_create(
                user=_user(request), name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except service.RequestError as exc:
            form.add_error(None, str(exc))
    context = {
        "organisation": organisation,
        "requests": list(service.requests_of_organisation(organisation)[:200]),
        "form": form,
        "secret": secret,
    }
    return render(request, "verification/verifier_home.html", context)


@accepts_upload
@require_http_methods(["GET", "POST"])
@verifier_required
def request_new(request: HttpRequest, number: str) -> HttpResponse:
    code = request.GET.get("code", "")
    certificate = _certificate(number, code)
    organisation = verifier_organisation_of(_user(request))
    form = VerificationRequestForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        uploads = form.cleaned_data["attachments"]
        try:
            service.uploads_check(uploads)
            filed = service.request_file(
                certificate_id=certificate.pk,
                user=_user(request),
                reasons=form.cleaned_data["reasons"],
                questions=form.cleaned_data["questions"],
                their_reference=form.cleaned_data["their_reference"],
                uploads=uploads,
            )
        except ValidationError as exc:
            form.add_error("attachments", exc)
        except service.RequestError as exc:
            error = str(exc)
        else:
            messages.success(
                request,
                gettext("Request %(reference)s filed with %(agency)s. It is due by %(due)s.")
                % {
                    "reference": filed.reference,
                    "agency": filed.agency.name,
                    "due": f"{filed.due_at:%d %b %Y}",
                },
            )
            return redirect("verification:verifier-request", request_id=filed.pk)
    context = {
        "form": form,
        "certificate": certificate,
        "organisation": organisation,
        "error": error,
        "days": service.response_days(certificate),
    }
    status = 400 if error else 200
    return render(request, "verification/request_new.html", context, status=status)


@require_GET
@verifier_required
def verifier_request(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        found = service.request_for_verifier(_user(request), request_id)
    except VerificationRequest.DoesNotExist:
        raise Http404("No such request.") from None
    attachments = found.attachments.filter(party=RequestAttachment.Party.VERIFIER)
    return render(
        request,
        "verification/verifier_request.html",
        {"vr": found, "attachments": list(attachments)},
    )


# ---------------------------------------------------------------------------------------------
# The exporter
# ---------------------------------------------------------------------------------------------


@require_GET
@exporter_required
def exporter_requests(request: HttpRequest) -> HttpResponse:
    found = list(service.requests_of_firms(_user(request))[:200])
    return render(request, "verification/exporter_requests.html", {"requests": found})


@accepts_upload
@require_http_methods(["GET", "POST"])
@exporter_required
def exporter_request(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        found = service.request_for_exporter(_user(request), request_id)
    except VerificationRequest.DoesNotExist:
        raise Http404("No such request.") from None
    form = RequestAnswerForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        uploads = form.cleaned_data["evidence"]
        try:
            service.uploads_check(uploads)
            service.request_answer(
                request_id=found.pk,
                by=_user(request),
                answer=form.cleaned_data["answer"],
                uploads=uploads,
            )
        except ValidationError as exc:
            form.add_error("evidence", exc)
        except service.RequestError as exc:
            error = str(exc)
        else:
            messages.success(
                request,
                gettext("Your answer to %(reference)s was sent to the agency.")
                % {"reference": found.reference},
            )
            return redirect("verification:exporter-request", request_id=found.pk)
    context = {
        "vr": found,
        "attachments": list(found.attachments.all()),
        "form": form,
        "error": error,
        "may_answer": found.status
        in {VerificationRequest.Status.ASSIGNED, VerificationRequest.Status.ANSWERED},
    }
    status = 400 if error else 200
    return render(request, "verification/exporter_request.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# Documents: for the agency's officers, the firm, and the verifier (its own only)
# ---------------------------------------------------------------------------------------------


def _may_open(user: User, attachment: RequestAttachment) -> bool:
    vr = attachment.request
    if is_agency_officer(user, vr.agency_id):
        return has_second_factor(user)
    if user.role == User.Role.VERIFIER:
        organisation = verifier_organisation_of(user)
        return (
            has_second_factor(user)
            and organisation is not None
            and organisation.pk == vr.organisation_id
            and attachment.party == RequestAttachment.Party.VERIFIER
        )
    return service.requests_of_firms(user).filter(pk=vr.pk).exists()


@require_GET
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = (
        RequestAttachment.objects.select_related("request").filter(pk=attachment_id).first()
    )
    if attachment is None or not _may_open(_user(request), attachment):
        raise Http404("No such document.")
    stem = get_valid_filename(attachment.original_name.rsplit(".", 1)[0])[:80] or "document"
    response = FileResponse(
        open_verified(attachment.file, sha256=attachment.sha256),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=f"{stem}.{EXTENSIONS[attachment.content_type]}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
