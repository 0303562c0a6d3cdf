"""Verification requests: importing customs ask the issuing agency to verify a certificate.

The agreements' operational certification procedures let the importing party's customs ask the
issuing authority for a retroactive check, on doubt about a certificate's authenticity or the
accuracy of its origin information, or at random, and give the issuing authority a time to
answer. Here:

1. a person of a confirmed verifier organisation (`verifier_organisation_of`) files a request
   on a certificate whose number and code they hold: reasons, questions, documents
   (`request_file`); it is due RESPONSE_DAYS after filing;
2. the certificate's issuing agency assigns it to one of its officers (`request_assign`), which
   asks the exporter's firm for evidence;
3. a member of the firm (or its agent's staff) with the draft capability answers with text and
   documents (`request_answer`);
4. an officer of the agency gives the finding: confirmed, not confirmed, or partly, with reasons
   (`request_decide`), which the verifier reads on its page and through the API.

Every step appends a RequestEvent (and an event on the certificate's application); every
document is checked by content (core.uploads) before it is kept. A beat task
(`requests_remind`) emails the agency, and the exporter while evidence is awaited, when a
request nears or passes its deadline, at most once a day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts import firms
from accounts.api_tokens import token_issue
from accounts.models import ApiToken, FirmMember, OfficerProfile, User
from accounts.notifications import email_send
from accounts.permissions import has_second_factor, is_agency_admin, is_agency_officer
from applications.events import application_event_record
from certificates.models import Certificate
from core.uploads import name_for_content, upload_check

from .models import RequestAttachment, RequestEvent, VerificationRequest, VerifierOrganisation
from .verifiers import verifier_organisation_of

# The time the issuing authority has to answer, in days from filing. The ASEAN-India (AIFTA)
# operational certification procedures (rule 16) give it three months for a retroactive check;
# ATIGA's and most of India's agreements' procedures are of the same order, so 90 days is the
# default, and an agreement whose rules say otherwise gets its own entry here.
RESPONSE_DAYS_DEFAULT = 90
RESPONSE_DAYS: dict[str, int] = {}
# Reminders start this many days before the deadline, and repeat at most once per interval.
REMIND_BEFORE = dt.timedelta(days=14)
REMIND_EVERY = dt.timedelta(days=1)
MAX_ATTACHMENTS = 5


class RequestError(Exception):
    """A refused step; nothing was recorded. The message is for the person acting."""


def response_days(certificate: Certificate) -> int:
    agreement = certificate.application.agreement
    code = agreement.code if agreement is not None else ""
    return RESPONSE_DAYS.get(code, RESPONSE_DAYS_DEFAULT)


def _event(request: VerificationRequest, kind: str, actor: User | None, note: str) -> RequestEvent:
    application_event_record(
        application_id=request.certificate.application_id,
        actor=actor,
        note=f"Verification request {request.reference} ({request.organisation.name}): {note}",
    )
    return RequestEvent.objects.create(request=request, kind=kind, actor=actor, note=note)


def _attach(
    request: VerificationRequest, party: str, user: User, uploads: Sequence[UploadedFile]
) -> list[RequestAttachment]:
    """Keep documents checked by content (the caller checked them: `uploads_check`)."""
    kept = []
    for upload in uploads:
        checked = upload_check(upload)
        attachment = RequestAttachment(
            request=request,
            party=party,
            original_name=name_for_content(upload.name or "", checked.content_type)[:255],
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=user,
        )
        attachment.file.save(checked.sha256, upload, save=False)
        attachment.save()
        kept.append(attachment)
    return kept


def uploads_check(uploads: Sequence[UploadedFile]) -> None:
    """Refuse too many files or any file that is not a clean PDF, JPEG or PNG
    (django.core.exceptions.ValidationError, with the upload check's own message)."""
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(
            gettext("Attach at most %(files)s files.") % {"files": MAX_ATTACHMENTS}
        )
    for upload in uploads:
        upload_check(upload)


# ---------------------------------------------------------------------------------------------
# The verifier
# ---------------------------------------------------------------------------------------------


def _organisation(user: User) -> VerifierOrganisation:
    organisation = verifier_organisation_of(user)
    if organisation is None or organisation.kind != VerifierOrganisation.Kind.CUSTOMS:
        raise RequestError("Only a confirmed customs authority may file a verification request.")
    return organisation


@transaction.atomic
def request_file(
    *,
    certificate_id: int,
    user: User,
    reasons: list[str],
    questions: str,
    their_reference: str = "",
    uploads: Sequence[UploadedFile] = (),
) -> VerificationRequest:
    organisation = _organisation(user)
    certificate = Certificate.objects.select_related(
        "application__agreement", "application__agency"
    ).get(pk=certificate_id)
    valid = set(VerificationRequest.Reason.values)
    if not reasons or set(reasons) - valid:
        raise RequestError("Choose at least one reason for the request.")
    if not questions.strip():
        raise RequestError("Write what you ask the issuing agency to verify.")
    now = timezone.now()
    request = VerificationRequest.objects.create(
        certificate=certificate,
        agency=certificate.application.agency,
        organisation=organisation,
        filed_by=user,
        their_reference=their_reference.strip(),
        reasons=[r for r in VerificationRequest.Reason.values if r in reasons],
        questions=questions.strip(),
        filed_at=now,
        due_at=now + dt.timedelta(days=response_days(certificate)),
    )
    _attach(request, RequestAttachment.Party.VERIFIER, user, uploads)
    _event(
        request,
        RequestEvent.Kind.FILED,
        user,
        f"filed on {certificate.number} ({', '.join(request.reasons)}); "
        f"due {request.due_at:%d %b %Y}.",
    )
    transaction.on_commit(lambda: _tell_agency(request, "verification_request_filed"))
    return request


def requests_of_organisation(organisation: VerifierOrganisation) -> QuerySet[VerificationRequest]:
    return (
        VerificationRequest.objects.filter(organisation=organisation)
        .select_related("certificate", "agency")
        .order_by("-filed_at", "-pk")
    )


def request_for_verifier(user: User, request_id: int) -> VerificationRequest:
    """The organisation's own request; anyone else's is VerificationRequest.DoesNotExist."""
    organisation = verifier_organisation_of(user)
    return (
        VerificationRequest.objects.select_related("certificate", "agency", "organisation")
        .filter(organisation=organisation)
        .get(pk=request_id)
    )


@transaction.atomic
def verifier_token_create(*, user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """An API token with the verification scope for a person of a confirmed organisation."""
    if verifier_organisation_of(user) is None:
        raise RequestError("Only a confirmed verifier organisation's people may create a token.")
    return token_issue(user=user, name=name, scopes=[ApiToken.Scope.VERIFICATION], days=days)


# ---------------------------------------------------------------------------------------------
# The agency
# ---------------------------------------------------------------------------------------------


def requests_of_agency(user: User) -> QuerySet[VerificationRequest]:
    """The officer's agency's requests (none for anyone else); open ones first, by deadline."""
    profile = OfficerProfile.objects.filter(user=user).first()
    if profile is None:
        return VerificationRequest.objects.none()
    return (
        VerificationRequest.objects.filter(agency_id=profile.agency_id)
        .select_related("certificate", "organisation", "assigned_to")
        .order_by("decided_at", "due_at", "pk")
    )


def request_for_officer(user: User, request_id: int) -> VerificationRequest:
    return requests_of_agency(user).get(pk=request_id)


def assignable_officers(agency_id: int) -> QuerySet[User]:
    return User.objects.filter(
        officer_profile__agency_id=agency_id,
        is_active=True,
        role__in=[User.Role.OFFICER, User.Role.AGENCY_ADMIN],
    ).order_by("first_name", "last_name", "username")


@transaction.atomic
def request_assign(*, request_id: int, by: User, officer_id: int) -> VerificationRequest:
    """The agency's administrator assigns (or reassigns) an open request to one of its officers;
    the exporter's firm is then asked for evidence."""
    request = VerificationRequest.objects.select_for_update(of=("self",)).get(pk=request_id)
    if not (is_agency_admin(by, request.agency_id) and has_second_factor(by)):
        raise RequestError("Only the agency's administrator may assign a verification request.")
    if not request.is_open:
        raise RequestError(f"Request {request.reference} is answered already.")
    officer = assignable_officers(request.agency_id).filter(pk=officer_id).first()
    if officer is None:
        raise RequestError("Choose an officer of your agency.")
    first = request.status == VerificationRequest.Status.FILED
    request.assigned_to = officer
    if first:
        request.status = VerificationRequest.Status.ASSIGNED
    request.save(update_fields=["assigned_to", "status"])
    name = officer.get_full_name() or officer.username
    _event(request, RequestEvent.Kind.ASSIGNED, by, f"assigned to {name}.")
    if first:
        transaction.on_commit(lambda: _tell_firm(request, "verification_request_evidence"))
    return request


def _may_decide(user: User, request: VerificationRequest) -> bool:
    if not (is_agency_officer(user, request.agency_id) and has_second_factor(user)):
        return False
    return request.assigned_to_id == user.pk or is_agency_admin(user, request.agency_id)


@transaction.atomic
def request_decide(*, request_id: int, by: User, finding: str, reasons: str) -> VerificationRequest:
    """The assigned officer (or the agency's administrator) answers the verifier."""
    request = VerificationRequest.objects.select_for_update(of=("self",)).get(pk=request_id)
    if not _may_decide(user=by, request=request):
        raise RequestError("Only the assigned officer or the agency's administrator may answer.")
    if request.status == VerificationRequest.Status.FILED:
        raise RequestError("Assign the request to an officer first.")
    if not request.is_open:
        raise RequestError(f"Request {request.reference} is answered already.")
    if finding not in VerificationRequest.Finding.values:
        raise RequestError("Choose a finding.")
    if not reasons.strip():
        raise RequestError("Give the reasons for the finding.")
    request.finding = finding
    request.finding_reasons = reasons.strip()
    request.status = VerificationRequest.Status.DECIDED
    request.decided_by = by
    request.decided_at = timezone.now()
    request.save(update_fields=["finding", "finding_reasons", "status", "decided_by", "decided_at"])
    _event(request, RequestEvent.Kind.DECIDED, by, f"{request.get_finding_display()}.")
    transaction.on_commit(lambda: _tell_verifier(request))
    return request


# ---------------------------------------------------------------------------------------------
# The exporter
# ---------------------------------------------------------------------------------------------


def requests_of_firms(user: User) -> QuerySet[VerificationRequest]:
    """Requests on certificates of the firms the person acts for, once assigned (a request
    waiting for the agency is not the exporter's yet)."""
    return (
        VerificationRequest.objects.filter(
            certificate__application__firm_id__in=firms.firm_ids_for(user)
        )
        .exclude(status=VerificationRequest.Status.FILED)
        .select_related("certificate", "organisation", "agency")
        .order_by("decided_at", "due_at", "pk")
    )


def request_for_exporter(user: User, request_id: int) -> VerificationRequest:
    return requests_of_firms(user).get(pk=request_id)


@transaction.atomic
def request_answer(
    *, request_id: int, by: User, answer: str, uploads: Sequence[UploadedFile] = ()
) -> VerificationRequest:
    request = (
        VerificationRequest.objects.select_for_update(of=("self",))
        .select_related("certificate__application", "organisation")
        .get(pk=request_id)
    )
    if not firms.may(by, request.certificate.application.firm_id, firms.Capability.DRAFT):
        raise RequestError("Only the firm's members who prepare applications may answer.")
    if request.status not in {
        VerificationRequest.Status.ASSIGNED,
        VerificationRequest.Status.ANSWERED,
    }:
        raise RequestError(f"Request {request.reference} does not wait for evidence.")
    if not answer.strip() and not uploads:
        raise RequestError("Write your answer or attach the evidence.")
    kept = _attach(request, RequestAttachment.Party.EXPORTER, by, uploads)
    text = answer.strip()
    if text:
        request.exporter_answer = (
            f"{request.exporter_answer}\n\n{text}" if request.exporter_answer else text
        )
    request.status = VerificationRequest.Status.ANSWERED
    request.answered_at = timezone.now()
    request.save(update_fields=["exporter_answer", "status", "answered_at"])
    _event(
        request,
        RequestEvent.Kind.ANSWERED,
        by,
        f"the exporter answered with {len(kept)} document(s).",
    )
    return request


# ---------------------------------------------------------------------------------------------
# Email and reminders
# ---------------------------------------------------------------------------------------------


def _agency_people(request: VerificationRequest) -> list[str]:
    people = User.objects.filter(
        officer_profile__agency_id=request.agency_id, is_active=True
    ).filter(Q(role=User.Role.AGENCY_ADMIN) | Q(pk=request.assigned_to_id or 0))
    return sorted({u.email for u in people if u.email})


def _firm_people(request: VerificationRequest) -> list[str]:
    members = FirmMember.objects.filter(
        firm_id=request.certificate.application.firm_id, user__is_active=True
    ).select_related("user")
    return sorted({m.user.email for m in members if m.user.email})


def _context(request: VerificationRequest) -> dict[str, object]:
    return {
        "request": request,
        "certificate": request.certificate,
        "site_url": settings.SITE_URL,
        "officer_url": settings.SITE_URL
        + reverse("officer:verification-request", kwargs={"request_id": request.pk}),
        "exporter_url": settings.SITE_URL
        + reverse("verification:exporter-request", kwargs={"request_id": request.pk}),
        "verifier_url": settings.SITE_URL
        + reverse("verification:verifier-request", kwargs={"request_id": request.pk}),
    }


def _tell_agency(request: VerificationRequest, template: str) -> None:
    for address in _agency_people(request):
        email_send(to=address, template=template, context=_context(request))


def _tell_firm(request: VerificationRequest, template: str) -> None:
    for address in _firm_people(request):
        email_send(to=address, template=template, context=_context(request))


def _tell_verifier(request: VerificationRequest) -> None:
    email_send(
        to=request.organisation.contact_email,
        template="verification_request_decided",
        context=_context(request),
    )


@dataclass(frozen=True)
class Reminded:
    request_id: int
    overdue: bool


def requests_remind(now: dt.datetime | None = None) -> list[Reminded]:
    """Remind the agency (and the exporter's firm while its evidence is awaited) of every open
    request due within REMIND_BEFORE or overdue, at most once per REMIND_EVERY."""
    now = now or timezone.now()
    due = VerificationRequest.objects.filter(
        ~Q(status=VerificationRequest.Status.DECIDED),
        due_at__lte=now + REMIND_BEFORE,
    ).filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - REMIND_EVERY))
    sent = []
    for request_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            request = (
                VerificationRequest.objects.select_for_update(of=("self",))
                .select_related("certificate__application", "organisation")
                .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - REMIND_EVERY))
                .filter(pk=request_id)
                .first()
            )
            if request is None or not request.is_open:
                continue  # another reminder run took it, or it was answered meanwhile
            overdue = request.due_at <= now
            request.reminded_at = now
            request.save(update_fields=["reminded_at"])
            note = (
                f"overdue since {request.due_at:%d %b %Y}: reminder sent."
                if overdue
                else f"due on {request.due_at:%d %b %Y}: reminder sent."
            )
            _event(request, RequestEvent.Kind.REMINDED, None, note)
            context = {**_context(request), "overdue": overdue, "now": now}
            for address in _agency_people(request):
                email_send(to=address, template="verification_request_reminder", context=context)
            if request.status == VerificationRequest.Status.ASSIGNED:
                for address in _firm_people(request):
                    email_send(
                        to=address,
                        template="verification_request_reminder",
                        context={**context, "for_exporter": True},
                    )
            sent.append(Reminded(request.pk, overdue))
    return sent
