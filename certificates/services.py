"""Writes: issuing a certificate (number, render, sign, store), revoking it, replacing it.

Issuance is four steps (certificate_issue), so that no lock is held while a PDF is made:
1. reserve (issuance_reserve): a short transaction that locks the application, checks it is
   approved, and takes its number from the office's counter together with a reservation row
   (certificates/numbering.py); a retry finds the reservation and reuses the number;
2. render (certificate_render) and
3. sign (certificate_sign), outside any transaction or lock;
4. finish (issuance_finish): a short transaction that stores the signed bytes, creates the
   Certificate under the reserved number, supersedes a predecessor and marks the application
   ISSUED, all or nothing.
A failure or a dead worker between the steps leaves the reservation, never a gap or a
half-issued application; the next attempt continues from it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import firms
from accounts.models import User
from applications.declared import declaration_statement
from applications.events import application_event_record
from applications.models import (
    Application,
    CertificateType,
    CopyReason,
    LineItem,
    Status,
)
from applications.notifications import Sent, notify
from applications.services import application_copy_certified, application_copy_in_lieu
from applications.workflow import (
    UNFINISHED,
    WorkflowError,
    application_mark_issued,
    application_self_declare,
)
from applications.worksheet import item_worksheet
from core.durable.models import OutboxMessage
from core.durable.outbox import outbox_enqueue
from core.english import in_english
from reference.certificate_forms import SELF_DECLARATION_KEY, form_for
from reference.validity import valid_until

from .archive import offline_until, revisions_record, store_pdf
from .credential import (
    PreparedCredential,
    credential_discard,
    credential_prepare,
    credential_register,
    credential_revoke,
)
from .models import Certificate, CertificateReservation, CertificateRevision, IssuanceAttempt
from .numbering import certificate_number_reserve
from .pdf import (
    CertificateData,
    CertificateItem,
    Consignee,
    Declaration,
    Exporter,
    Transport,
    certification_page,
    render_certificate,
)
from .selectors import (
    application_for_certificate,
    applications_issuance_stuck,
    user_may_revoke,
)
from .signals import CertificateChangeRefusedError, certificate_changed_send
from .signing import SigningRefusedError, sign_certificate_pdf, signing_ready
from .states import CertificateAction, refusal

# No 0/O, 1/I/L or U/V look-alikes: 29 symbols, 12 of them carry 58 bits.
VERIFICATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
VERIFICATION_CODE_LENGTH = 12
NON_PREFERENTIAL_TITLE = "Certificate of Origin (Non-Preferential)"
SELF_DECLARATION_TITLE = "Self-Declared Certificate of Origin"


class CertificateError(Exception):
    """A refused action on a certificate. The message is written for the person acting."""


# ---------------------------------------------------------------------------------------------
# Numbers and codes
# ---------------------------------------------------------------------------------------------


def verification_code_generate() -> str:
    """A random code, unrelated to the number (secrets, not a hash of anything)."""
    return "".join(secrets.choice(VERIFICATION_ALPHABET) for _ in range(VERIFICATION_CODE_LENGTH))


def verify_url_for(*, number: str, code: str) -> str:
    """The QR link: SITE_URL/verify/<number>/?code=<code>, landing straight on the answer."""
    path = reverse("verification:verify-certificate", kwargs={"number": number})
    return f"{settings.SITE_URL}{path}?{urlencode({'code': code})}"


# ---------------------------------------------------------------------------------------------
# What the PDF says
# ---------------------------------------------------------------------------------------------


def _decimal_text(value: Decimal) -> str:
    normalised = value.normalize()
    return f"{normalised:f}" if normalised == normalised.to_integral() else str(normalised)


def _officer_of(application: Application) -> User:
    """Who the certificate row names as its signer: the approving officer, or for a
    self-declaration (no officer) the firm's signatory who made it."""
    if application.is_self_declared:
        if application.submitted_by is None:
            raise CertificateError(f"{application.reference} has no declaring signatory.")
        return application.submitted_by
    officer = application.assigned_officer
    if officer is None:
        raise CertificateError(f"{application.reference} has no approving officer.")
    return officer


@in_english
def certificate_data_build(
    *, application: Application, number: str, code: str, issued_at: datetime
) -> CertificateData:
    """The printed content of an application's certificate. `application` must come from
    selectors.application_for_certificate (everything it reads is loaded there).

    A certified true copy prints its original's particulars, box 12's date and any marking
    as the original has them (AIFTA OCP rule 17: "This copy shall bear the date of issuance
    of the original"), with its own number, code and officer, marked CERTIFIED TRUE COPY
    with the original's number and date."""
    original = application.certified_copy_of
    if original is not None:
        source = application_for_certificate(application_id=original.application_id)
        data = certificate_data_build(
            application=source, number=number, code=code, issued_at=original.issued_at
        )
        officer = _officer_of(application)
        original_date = timezone.localdate(original.issued_at)
        return dataclasses.replace(
            data,
            officer_name=officer.get_full_name() or officer.username,
            officer_designation=_designation(officer),
            issued_at=issued_at,
            certified_copy_of=f"No. {original.number} issued on {original_date:%d %b %Y}",
        )
    officer = _officer_of(application)
    firm = application.firm
    agreement = application.agreement
    preferential = application.certificate_type == CertificateType.PREFERENTIAL
    invoices = list(application.invoices.all())
    invoice_text = "; ".join(f"{i.number} of {i.date:%d %b %Y}" for i in invoices)
    third_party = ""
    if application.third_party_invoicing:
        parts = [
            application.third_party_name,
            application.third_party_address,
            application.third_party_country.name if application.third_party_country else "",
        ]
        third_party = ", ".join(p for p in parts if p)
    foreign_certificate = ""
    if application.back_to_back and not preferential:
        foreign_certificate = (
            f"No. {application.foreign_certificate_number}, issued by "
            f"{application.foreign_certificate_issuer}, "
            f"{application.foreign_certificate_country.name}"
        )
        if application.foreign_certificate_date:
            foreign_certificate += f", on {application.foreign_certificate_date:%d %b %Y}"
    third_party_invoice = ""
    if application.third_party_invoicing and application.third_party_invoice_number:
        third_party_invoice = application.third_party_invoice_number
        if application.third_party_invoice_date:
            third_party_invoice += f" of {application.third_party_invoice_date:%d %b %Y}"
    items = [
        CertificateItem(
            position=position,
            marks=item.marks_and_numbers,
            package_count=item.package_count,
            package_kind=item.package_kind,
            description=item.description,
            hs_code=item.hs_code,
            criterion_display=_criterion_printed(item, agreement.code if agreement else "")
            if preferential
            else "",
            quantity_text=f"{_decimal_text(item.quantity)} {item.unit}",
            gross_weight_text=f"{_decimal_text(item.gross_weight_kg)} kg",
            invoice_text=invoice_text,
            fob_text=f"{item.fob_currency} {item.fob_value:,.2f}",
        )
        for position, item in enumerate(application.items.all(), start=1)
    ]
    issue_date = timezone.localdate(issued_at)
    data = CertificateData(
        number=number,
        verification_code=code,
        verify_url=verify_url_for(number=number, code=code),
        certificate_type=application.certificate_type,
        title=agreement.form_title if preferential and agreement else NON_PREFERENTIAL_TITLE,
        agreement_name=agreement.name if preferential and agreement else "",
        exporter=Exporter(
            name=firm.firm_name,
            address=firm.address,
            iec=firm.iec,
            email=firm.email,
            telephone=firm.mobile,
        ),
        consignee=Consignee(
            name=application.consignee_name,
            address=application.consignee_address,
            country=application.consignee_country.name if application.consignee_country else "",
        ),
        transport=Transport(
            mode=application.get_transport_mode_display() if application.transport_mode else "",
            vessel=application.vessel_or_flight,
            port_of_loading=application.port_of_loading,
            port_of_discharge=application.port_of_discharge,
            departure_date=application.departure_date,
        ),
        destination_country=application.destination_country.name,
        items=items,
        declaration=Declaration(
            name=application.declaration_name,
            designation=application.declaration_designation,
            place=application.declaration_place,
            date=application.declaration_date or issue_date,
            signed=declaration_statement(application),
        ),
        agency_name=application.agency.name,
        office_name=application.office.name,
        office_city=application.office.city,
        officer_name=officer.get_full_name() or officer.username,
        officer_designation=_designation(officer),
        issue_date=issue_date,
        third_party_invoicing=third_party,
        third_party_invoice=third_party_invoice,
        foreign_certificate=foreign_certificate,
        origin_country=application.foreign_certificate_country.name.upper()
        if foreign_certificate
        else "INDIA",
        remarks=application.remarks,
        in_lieu_of=application.replaces.number if application.replaces else "",
        agreement_code=agreement.code if preferential and agreement else "",
        issued_at=issued_at,
        issued_retroactively=issued_retroactively(
            agreement_code=agreement.code if preferential and agreement else "",
            departure_date=application.departure_date,
            issue_date=issue_date,
        ),
    )
    if application.is_self_declared:
        data = dataclasses.replace(
            data,
            title=SELF_DECLARATION_TITLE,
            form_key=SELF_DECLARATION_KEY,
            self_declaration=True,
            officer_name="COO Portal",
            officer_designation="Signed for the record, not certified",
            issued_retroactively=False,  # made by the exporter when they make it
        )
    return data


def issued_retroactively(
    *, agreement_code: str, departure_date: date | None, issue_date: date
) -> bool:
    """Whether a certificate issued on `issue_date` for goods shipped on `departure_date` is
    issued retroactively under its agreement's rule (reference/certificate_forms.py; AIFTA:
    more than three days after shipment)."""
    rule = form_for(agreement_code).retroactive
    if rule is None or departure_date is None:
        return False
    return (issue_date - departure_date).days > rule.after_days


def _criterion_printed(item: LineItem, agreement_code: str) -> str:
    """Box 8: the criterion with the actual percentage where the item's cost sheet works it
    out and supports the typed criterion ("RVC 79.73% + CTSH"); the typed one otherwise."""
    worksheet = item_worksheet(item, agreement_code)
    if worksheet.supported and worksheet.outcome and "RVC" in item.origin_criterion.upper():
        return worksheet.outcome.criterion
    return item.criterion_display


def _designation(officer: User) -> str:
    profile = getattr(officer, "officer_profile", None)
    return profile.designation if profile is not None else "Certifying Officer"


# ---------------------------------------------------------------------------------------------
# Issuance
# ---------------------------------------------------------------------------------------------


def certificate_issue(*, application_id: int) -> Certificate:
    """Issue the certificate of an APPROVED application; idempotent.

    Reserve a number (short transaction), render, attach the Verifiable Credential (reserving
    its status list entry: certificates/credential.py) and sign without a lock, then finish
    (short transaction): see the module docstring. If the application already has a
    certificate it is returned and nothing else happens; if it is not APPROVED, or it replaces
    a certificate it may not replace, CertificateError is raised before a number is taken.
    """
    reserved = issuance_reserve(application_id=application_id)
    if isinstance(reserved, Certificate):
        return reserved
    issued_at = timezone.now()
    application = application_for_certificate(application_id=application_id)
    data = certificate_data_build(
        application=application,
        number=reserved.number,
        code=reserved.verification_code,
        issued_at=issued_at,
    )
    pdf = certificate_render(data=data)
    # The credential goes into the PDF before signing, so that the signature covers it. Its
    # status entry is reserved in a transaction of its own (no lock held); if signing fails
    # the entry is given back, so a failed attempt leaves no slot behind.
    with transaction.atomic():
        credential = credential_prepare(
            application=application, data=data, issued_at=issued_at, pdf=pdf
        )
    try:
        signed = certificate_sign(
            pdf=credential.pdf, data=data, application=application, signed_at=issued_at
        )
    except Exception:
        credential_discard(prepared=credential)
        raise
    try:
        return issuance_finish(
            reservation=reserved,
            application=application,
            signed=signed,
            issued_at=issued_at,
            credential=credential,
        )
    except Exception:
        # The finishing transaction rolled back; a retry prepares a credential of its own.
        credential_discard(prepared=credential)
        raise


@transaction.atomic
def issuance_reserve(*, application_id: int) -> Certificate | CertificateReservation:
    """Step 1: the application's certificate if it has one, else its reservation (number and
    verification code), made now if this is the first attempt. Holds the office's counter
    lock only for its own few statements."""
    locked = (
        Application.objects.select_for_update()
        .select_related("office__agency")
        .get(pk=application_id)
    )
    existing = Certificate.objects.filter(application_id=application_id).first()
    if existing is not None:
        return existing
    if locked.status != Status.APPROVED:
        raise CertificateError(
            f"{locked.reference} is {locked.get_status_display().lower()}, not approved."
        )
    _officer_of(locked)
    if locked.replaces_id is not None:
        _predecessor_check(Certificate.objects.get(pk=locked.replaces_id), locked)
    try:
        signing_ready(agency_code=locked.office.agency.code)
    except SigningRefusedError as exc:
        raise CertificateError(f"{locked.reference} cannot be signed: {exc}") from exc
    return certificate_number_reserve(application=locked, code=verification_code_generate())


@in_english
def certificate_render(*, data: CertificateData) -> bytes:
    """Step 2: the unsigned PDF."""
    return render_certificate(data)


def certificate_sign(
    *, pdf: bytes, data: CertificateData, application: Application, signed_at: datetime
) -> bytes:
    """Step 3: the PDF signed with the agency's key. A refusal (no production key, a revoked
    key) is a CertificateError: retrying would not help, and the task flags it at once."""
    wording = {}
    if application.is_self_declared:
        wording = {
            "agency_name": "COO Portal",
            "reason": (
                "Exporter's self-declaration of origin, recorded by the COO Portal; not "
                "certified by any agency"
            ),
            "field_title": "Record of the exporter's self-declaration (no agency certifies it)",
        }
    try:
        return sign_certificate_pdf(
            pdf,
            on_page=certification_page(data),
            agency_code=application.agency.code,
            officer_name=data.officer_name,
            designation=data.officer_designation,
            signed_at=signed_at,
            **{"agency_name": application.agency.name, **wording},
        )
    except SigningRefusedError as exc:
        raise CertificateError(f"{application.reference} cannot be signed: {exc}") from exc


@transaction.atomic
def issuance_finish(
    *,
    reservation: CertificateReservation,
    application: Application,
    signed: bytes,
    issued_at: datetime,
    credential: PreparedCredential,
) -> Certificate:
    """Step 4, in one transaction: stores the signed bytes (content-addressed, the only write
    outside the database), creates the Certificate under the reserved number with the
    SHA-256 of each of its revisions (archive.revisions_record) and drops the reservation,
    binds the credential's status entry to it and signs the downloadable credential with the
    signed PDF's hash, marks the predecessor of an in-lieu replacement
    SUPERSEDED, moves the application to ISSUED, tells verification to forget any answer it
    keeps for either number (verification.store); after commit, emails and texts the
    exporter. If another run of the same issuance finished first, its certificate is returned,
    these bytes are dropped and the credential's status entry is given back."""
    Application.objects.select_for_update().filter(pk=application.pk).values_list("pk").get()
    existing = Certificate.objects.filter(application_id=application.pk).first()
    if existing is not None:
        credential_discard(prepared=credential)
        return existing
    predecessor = _predecessor_locked(application)
    sha256 = hashlib.sha256(signed).hexdigest()
    certificate = Certificate.objects.create(
        application=application,
        number=reservation.number,
        verification_code=reservation.verification_code,
        office_id=reservation.office_id,
        year=reservation.year,
        sequence=reservation.sequence,
        pdf=store_pdf(year=reservation.year, sha256=sha256, content=signed),
        sha256=sha256,
        issued_at=issued_at,
        signing_officer=_officer_of(application),
        offline_until=offline_until(signed),
    )
    revisions_record(
        certificate=certificate, pdf=signed, newest_kind=CertificateRevision.Kind.ISSUED
    )
    CertificateReservation.objects.filter(pk=reservation.pk).delete()
    credential_register(prepared=credential, certificate=certificate)
    # A number issued before, in a database since restored, may have an answer kept in Redis.
    certificate_changed_send(number=certificate.number)
    if predecessor is not None:
        _supersede(predecessor, by=certificate)
    application_mark_issued(
        application_id=application.pk, note=f"Certificate {certificate.number} issued."
    )
    _notify(certificate, "issued")
    return certificate


def _predecessor_check(old: Certificate, application: Application) -> None:
    if old.application.agency_id != application.agency_id:
        raise CertificateError("Only the agency that issued a certificate may replace it.")
    if old.superseded_by_id is not None:
        raise CertificateError(f"Certificate {old.number} has already been replaced.")


def _predecessor_locked(application: Application) -> Certificate | None:
    if application.replaces_id is None:
        return None
    old = (
        Certificate.objects.select_for_update()
        .select_related("application")
        .get(pk=application.replaces_id)
    )
    _predecessor_check(old, application)
    return old


def _supersede(old: Certificate, *, by: Certificate) -> None:
    # A certificate revoked in the meantime stays revoked; it still points to its successor.
    if not refusal(old, CertificateAction.SUPERSEDE):
        old.status = Certificate.Status.SUPERSEDED
    old.superseded_by = by
    old.save(update_fields=["status", "superseded_by", "updated_at"])
    credential_revoke(certificate=old)
    certificate_changed_send(number=old.number)
    application_event_record(
        application_id=old.application_id,
        note=f"Certificate {old.number} superseded by {by.number} (issued in lieu).",
    )
    if old.status == Certificate.Status.SUPERSEDED:
        _notify(old, "superseded", replacement=by)


# ---------------------------------------------------------------------------------------------
# The exporter's self-declaration (India-EFTA TEPA)
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def self_declaration_make(*, application_id: int, exporter: User) -> Application:
    """The firm's signatory makes the statement on origin they signed: the application becomes
    APPROVED without an officer (applications.workflow.application_self_declare) and, after
    commit, the issuance task numbers it from the self-declarations' own gapless counter,
    renders the self-declaration form, signs it with the portal's key and registers its
    credential, as for a certificate (certificate_issue), then tells the exporter."""
    try:
        application = application_self_declare(application_id=application_id, exporter=exporter)
    except WorkflowError as exc:
        raise CertificateError(str(exc)) from exc
    outbox_enqueue(task=ISSUE_TASK, args=[application.pk])
    return application


# ---------------------------------------------------------------------------------------------
# Issuance attempts (written by the task, outside the issuance transaction)
# ---------------------------------------------------------------------------------------------


def issuance_attempt_start(*, application_id: int) -> IssuanceAttempt:
    """Record that the issuance task started on an application."""
    return IssuanceAttempt.objects.create(application_id=application_id)


def issuance_attempt_finish(
    *, attempt_id: int, error: str = "", final: bool = False
) -> IssuanceAttempt:
    """Record how an attempt ended: success (no error), a failure that will be retried, or
    the final failure (final=True), which flags the application as delayed."""
    attempt = IssuanceAttempt.objects.get(pk=attempt_id)
    attempt.finished_at = timezone.now()
    attempt.succeeded = not error
    attempt.error = error[:4000]
    attempt.final = final
    attempt.save(update_fields=["finished_at", "succeeded", "error", "final"])
    return attempt


def certificates_pending_enqueue(*, agency_id: int | None = None) -> list[int]:
    """Queue issuance again, after commit, for every APPROVED application without a certificate
    (of one agency, or of all): after an outage or a fixed signing key. Safe to run any time,
    since issuance is idempotent. Returns the application ids."""
    pending = Application.objects.filter(status=Status.APPROVED, certificate__isnull=True)
    if agency_id is not None:
        pending = pending.filter(agency_id=agency_id)
    ids = list(pending.values_list("pk", flat=True))
    with transaction.atomic():
        for application_id in ids:
            outbox_enqueue(task=ISSUE_TASK, args=[application_id])
    return ids


ISSUE_TASK = "certificates.issue_certificate"


def issuance_sweep() -> list[int]:
    """Queue issuance again, after commit, for every application whose issuance was lost
    (selectors.applications_issuance_stuck) and is not already waiting in the outbox. Run by
    celery beat every ISSUANCE_SWEEP_SECONDS; the tasks it queues go through the outbox, so a
    sweep during an outage loses nothing. Returns the application ids."""
    waiting = {
        args[0]
        for args in OutboxMessage.objects.filter(task=ISSUE_TASK, sent_at__isnull=True)
        .values_list("args", flat=True)
        .iterator()
        if args
    }
    issuance_attempts_abandon()
    stuck = applications_issuance_stuck().values_list("pk", flat=True)[:500]
    ids = [pk for pk in stuck if pk not in waiting]
    with transaction.atomic():
        for application_id in ids:
            outbox_enqueue(task=ISSUE_TASK, args=[application_id])
    return ids


def issuance_attempts_abandon(*, now: datetime | None = None) -> int:
    """Mark abandoned every attempt that never finished and began more than
    ISSUANCE_STUCK_SECONDS ago: longer than the task's hard time limit
    (CELERY_TASK_TIME_LIMIT, which settings keep shorter), so no worker is still running it;
    its worker was killed or lost mid-way. Run by the sweep (issuance_sweep), which then queues
    the issuance again (an abandoned attempt counts neither as work in progress nor as a retry
    waiting). Returns how many were marked."""
    now = now or timezone.now()
    bound = timedelta(seconds=settings.ISSUANCE_STUCK_SECONDS)
    marked = IssuanceAttempt.objects.filter(
        finished_at__isnull=True, started_at__lt=now - bound
    ).update(
        finished_at=now,
        abandoned=True,
        error=(
            f"Abandoned: not finished {settings.ISSUANCE_STUCK_SECONDS} s after it began; "
            "its worker was stopped or lost. The issuance is queued again."
        ),
    )
    return marked


# ---------------------------------------------------------------------------------------------
# Revocation and replacement
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def certificate_revoke(*, certificate_id: int, actor: User, reason: str) -> Certificate:
    """VALID -> REVOKED, with a reason, by an agency administrator of the issuing agency or an
    officer holding certificates.revoke_certificate. Side effects: an event on the application,
    the kept verification answer forgotten (verification.store) and, after commit, an email
    and SMS to the exporter."""
    certificate = (
        Certificate.objects.select_for_update()
        .select_related("application__exporter")
        .get(pk=certificate_id)
    )
    if not user_may_revoke(actor, certificate):
        raise CertificateError("Only an administrator of the issuing agency may revoke it.")
    reason = reason.strip()
    if not reason:
        raise CertificateError("Give the reason for revoking the certificate.")
    if refused := refusal(certificate, CertificateAction.REVOKE):
        raise CertificateError(refused)
    certificate.status = Certificate.Status.REVOKED
    certificate.revoked_at = timezone.now()
    certificate.revoked_by = actor
    certificate.revocation_reason = reason
    certificate.save(
        update_fields=["status", "revoked_at", "revoked_by", "revocation_reason", "updated_at"]
    )
    credential_revoke(certificate=certificate)
    try:
        certificate_changed_send(number=certificate.number)
    except CertificateChangeRefusedError as exc:
        raise CertificateError(
            "The verification service could not be updated, so the certificate was not "
            "revoked. Try again in a minute."
        ) from exc
    application_event_record(
        application_id=certificate.application_id,
        actor=actor,
        note=f"Certificate {certificate.number} revoked: {reason}",
    )
    certificate.notified = _notify(certificate, "revoked")
    return certificate


@transaction.atomic
def certificate_request_replacement(
    *, certificate_id: int, exporter: User, reason: str
) -> Application:
    """A DRAFT correcting an issued certificate ("in lieu"), prefilled from its application
    (parties, transport, invoices, goods, documents) and bound to the same agency, office,
    agreement and type, with the exporter's reason (required). Asking twice returns the open
    draft instead of a second one. Side effects: a new reference number, copies of the
    documents' files and creation events."""
    certificate = (
        Certificate.objects.select_for_update().select_related("application").get(pk=certificate_id)
    )
    if not firms.may(exporter, certificate.application.firm_id, firms.Capability.VIEW):
        raise CertificateError("This certificate is not yours.")
    if not firms.may(exporter, certificate.application.firm_id, firms.Capability.DRAFT):
        raise CertificateError("You cannot start an application for this IEC.")
    if refused := refusal(certificate, CertificateAction.REPLACE):
        raise CertificateError(refused)
    open_request = (
        Application.objects.filter(replaces=certificate, status__in=UNFINISHED)
        .order_by("-created_at")
        .first()
    )
    if open_request is not None:
        return open_request
    try:
        return application_copy_in_lieu(
            application_id=certificate.application_id,
            exporter=exporter,
            certificate_id=certificate.pk,
            certificate_number=certificate.number,
            reason=reason,
        )
    except WorkflowError as exc:
        raise CertificateError(str(exc)) from exc


def certified_copy_deadline(certificate: Certificate) -> date:
    """The last day a certified true copy of `certificate` may be issued: the end of the
    original's validity under its agreement (reference/validity.py; AIFTA: one year from the
    original's issue, as OCP rule 17 says)."""
    agreement = certificate.application.agreement
    code = (
        agreement.code
        if agreement and certificate.application.certificate_type == (CertificateType.PREFERENTIAL)
        else ""
    )
    until = valid_until(issued_at=timezone.localtime(certificate.issued_at), agreement_code=code)
    return until.date() - timedelta(days=1)


@transaction.atomic
def certificate_request_certified_copy(
    *, certificate_id: int, exporter: User, reason: str
) -> Application:
    """A DRAFT asking for a certified true copy of an issued certificate whose original was
    lost, stolen or destroyed, bound to the same agency, office, agreement and type. Only a
    valid certificate, only within its validity; asking twice returns the open request.
    Side effects: a new reference number and creation events."""
    # The certificate's row alone is locked (PostgreSQL refuses FOR UPDATE on the nullable side
    # of the outer join to the agreement).
    certificate = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("application__agreement")
        .get(pk=certificate_id)
    )
    if not firms.may(exporter, certificate.application.firm_id, firms.Capability.VIEW):
        raise CertificateError("This certificate is not yours.")
    if not firms.may(exporter, certificate.application.firm_id, firms.Capability.DRAFT):
        raise CertificateError("You cannot start an application for this IEC.")
    if reason not in CopyReason.values:
        raise CertificateError("Say whether the original was lost, stolen or destroyed.")
    if refused := refusal(certificate, CertificateAction.COPY):
        raise CertificateError(refused)
    if certificate.application.certified_copy_of_id:
        raise CertificateError(
            f"Certificate {certificate.number} is a certified true copy itself: ask for a "
            "copy of its original."
        )
    deadline = certified_copy_deadline(certificate)
    if timezone.localdate() > deadline:
        raise CertificateError(
            f"Certificate {certificate.number} was valid until {deadline:%d %b %Y}; a certified "
            "true copy can only be issued within the original's validity."
        )
    open_request = (
        Application.objects.filter(certified_copy_of=certificate, status__in=UNFINISHED)
        .order_by("-created_at")
        .first()
    )
    if open_request is not None:
        return open_request
    return application_copy_certified(
        application_id=certificate.application_id,
        exporter=exporter,
        certificate_id=certificate.pk,
        certificate_number=certificate.number,
        reason=reason,
    )


# ---------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------


def _notify(certificate: Certificate, event: str, **extra: Any) -> Sent:
    return notify(
        event,
        certificate.application,
        certificate=certificate,
        download_url=settings.SITE_URL
        + reverse("certificates:download", kwargs={"key": certificate.number}),
        **extra,
    )
