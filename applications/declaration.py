"""Signing the exporter's declaration: the signatory confirms what they declare with a
one-time code sent to their verified mobile at that moment, as Aadhaar eSign's OTP does.

Two steps, like an eSign transaction (docs/esign.md):

1. `declaration_sign_start`: the application's canonical text is hashed (declared.py) and a
   signer adapter is asked to start: the shipped one (`OTPDeclarationSigner`) sends a 6-digit
   code by SMS through the portal's outbox and SMS gateway, naming the application and the
   start of the hash. A DeclarationSignature row records who, for whom, the number, the time
   and the outbox row that carried the SMS (the delivery record), and the hash and text.
2. `declaration_sign_confirm`: the signatory gives the code back. It counts only for the
   newest code sent to them, only while the application still has the hash the code was sent
   for, within 10 minutes and 5 tries (accounts.services' OTP rules). The row is then signed
   and the application's trail says so.

A change to the application afterwards changes its hash: the signature no longer covers it,
and submission asks for a new one (selectors.submission_problems).

`DeclarationSigner` is the seam for an eSign service provider (ESP) under the CCA's eSign API:
`ESPDeclarationSigner` documents the request and response it would exchange and refuses to run,
since the portal holds no ASP licence, key or ESP contract (docs/esign.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol
from xml.etree import ElementTree as ET

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts import firms
from accounts.models import SMSDevice, User
from accounts.services import (
    OTP_RESEND_SECONDS,
    OTP_VALID_SECONDS,
    AccountError,
    OTPResult,
    otp_issue,
    otp_message,
    otp_verify,
)

from .declared import declared_sha256, declared_text, masked_number, signed_line, signer_capacity
from .events import application_event_record
from .models import Application, DeclarationSignature, UploadCheck
from .notifications import verified_mobile
from .selectors import DECLARATION_FIELDS
from .workflow import Action, WorkflowError, refusal

logger = logging.getLogger(__name__)


class SignerUnavailable(Exception):  # noqa: N818 - reads as the state, like Http404
    """The signing route cannot run here (not configured); nothing was sent."""


@dataclass(frozen=True)
class SigningStarted:
    """What a signer adapter did to start: where the signatory was reached and how it is
    recorded (an SMS's number and outbox row; an ESP's transaction id)."""

    mobile: str
    outbox_id: int | None
    reference: str = ""  # the ESP's txn, for the eSign route


class DeclarationSigner(Protocol):
    """One way of having the signatory sign the hash of what they declare."""

    method: DeclarationSignature.Method

    def start(
        self, *, application: Application, signer: User, digest: str, mobile: str
    ) -> SigningStarted:
        """Reach the signatory for `digest` (raises WorkflowError, or SignerUnavailable)."""
        ...

    def complete(self, *, signature: DeclarationSignature, answer: str) -> OTPResult:
        """Check the signatory's answer (the code; an ESP's response) for a started row."""
        ...


# A signatory may ask for a new code for the same application once a minute (declaration_sign
# _start keeps that wait, per application), and for at most this many codes an hour whatever
# the applications: declaring several in a row is normal, an SMS a second is not.
DECLARATION_RESEND_SECONDS = OTP_RESEND_SECONDS
DECLARATION_CODES_PER_HOUR = 20


class OTPDeclarationSigner:
    """The shipped route: a 6-digit code by SMS to the signatory's verified mobile."""

    method = DeclarationSignature.Method.SMS_OTP

    def start(
        self, *, application: Application, signer: User, digest: str, mobile: str
    ) -> SigningStarted:
        try:
            sent = otp_issue(
                user=signer,
                purpose=SMSDevice.Purpose.DECLARATION,
                template="declaration_otp",
                context={
                    "reference": application.reference,
                    "firm_name": application.firm.firm_name,
                    "fingerprint": digest[:8],
                },
                restart=True,  # the wait between codes is per application (sign_start)
                per_hour=DECLARATION_CODES_PER_HOUR,
            )
        except AccountError as exc:  # asked again too soon, or too often this hour
            raise WorkflowError(str(exc)) from exc
        return SigningStarted(mobile=sent.number, outbox_id=sent.outbox_id)

    def complete(self, *, signature: DeclarationSignature, answer: str) -> OTPResult:
        return otp_verify(user=signature.signer, purpose=SMSDevice.Purpose.DECLARATION, code=answer)


class ESPDeclarationSigner:
    """An eSign service provider under the CCA's eSign API (v2.1; v3.2 alike): NOT shipped.

    `request_xml` writes the ASP's request for a hash (the `<Esign>` element with one
    `<Docs><InputHash>`); a real adapter would sign it (enveloped XML-DSig with the ASP's key),
    send the signatory's browser to the ESP with it, and read the ESP's `<EsignResp>`
    (status, resCode/errCode, the signer's certificate and the PKCS#7 over the hash) on the
    response URL. Both `start` and `complete` refuse: docs/esign.md says what is missing."""

    method = DeclarationSignature.Method.ESIGN
    NOT_CONFIGURED = (
        "Signing with eSign is not available on this portal: it needs an ASP licence, the "
        "ASP's signing key and an ESP's endpoint (docs/esign.md). Sign with a code by SMS."
    )

    @staticmethod
    def request_xml(*, asp_id: str, txn: str, digest: str, doc_info: str, response_url: str) -> str:
        """The unsigned `<Esign>` request for one SHA-256 (hex), as the eSign API v2.1 names
        its attributes; the enveloped signature is the ASP's to add."""
        esign = ET.Element(
            "Esign",
            {
                "ver": "2.1",
                "sc": "Y",
                "ts": timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S"),
                "txn": txn,
                "ekycIdType": "A",
                "aspId": asp_id,
                "AuthMode": "1",  # OTP
                "responseSigType": "pkcs7",
                "responseUrl": response_url,
            },
        )
        docs = ET.SubElement(esign, "Docs")
        item = ET.SubElement(
            docs, "InputHash", {"id": "1", "hashAlgorithm": "SHA256", "docInfo": doc_info}
        )
        item.text = digest
        return ET.tostring(esign, encoding="unicode")

    def start(
        self, *, application: Application, signer: User, digest: str, mobile: str
    ) -> SigningStarted:
        raise SignerUnavailable(self.NOT_CONFIGURED)

    def complete(self, *, signature: DeclarationSignature, answer: str) -> OTPResult:
        raise SignerUnavailable(self.NOT_CONFIGURED)


SIGNER: DeclarationSigner = OTPDeclarationSigner()


# ---------------------------------------------------------------------------------------------
# The services
# ---------------------------------------------------------------------------------------------


def _locked_for_signing(application_id: int, signer: User) -> Application:
    Application.objects.select_for_update().filter(pk=application_id).values_list(
        "pk", flat=True
    ).get()
    application = (
        Application.objects.select_related(
            "firm", "agreement", "agency", "office", "filed_by_agent"
        )
        .prefetch_related("items", "invoices", "documents")
        .get(pk=application_id)
    )
    reason = refusal(application, Action.EDIT, signer)
    if reason:
        raise WorkflowError(reason)
    if not firms.may(signer, application.firm_id, firms.Capability.SUBMIT):
        raise WorkflowError(firms.SUBMIT_REFUSAL)
    return application


def uploads_checking(application: Application) -> list[str]:
    """The names of the application's uploads whose content check has not ended: they are
    not documents yet, so a signature now would not cover them and would have to be made
    again once they are."""
    return list(
        UploadCheck.objects.filter(application=application, state=UploadCheck.State.CHECKING)
        .order_by("created_at", "pk")
        .values_list("original_name", flat=True)
    )


def _refuse_while_checking(application: Application) -> None:
    checking = uploads_checking(application)
    if checking:
        raise WorkflowError(
            gettext(
                "The documents uploaded to %(reference)s are still being checked (%(names)s). "
                "Sign once the checks have ended, so that what you sign includes them."
            )
            % {"reference": application.reference, "names": ", ".join(checking)}
        )


def declaration_ready(application: Application) -> bool:
    """Every field of the declaration is filled in and the box is ticked."""
    filled = all(getattr(application, f) not in ("", None) for f in DECLARATION_FIELDS)
    return filled and application.declaration_accepted


@transaction.atomic
def declaration_sign_start(*, application_id: int, signer: User) -> DeclarationSignature:
    """Send the signatory a code for the application as it is now, and record it. Refused
    (WorkflowError) for anyone who may not submit, before the declaration is filled in, to a
    mobile not verified, while uploads are being checked, or within the resend limits."""
    application = _locked_for_signing(application_id, signer)
    if not declaration_ready(application):
        raise WorkflowError(gettext("Fill in the declaration and tick the box before you sign it."))
    mobile = verified_mobile(signer)
    if not mobile:
        raise WorkflowError(
            gettext(
                "Your mobile number is not verified, so no code can be sent to sign with. "
                "Ask your firm's administrator to invite you again with your mobile."
            )
        )
    _refuse_while_checking(application)
    _resend_wait(application, signer)
    digest = declared_sha256(application)
    started = SIGNER.start(application=application, signer=signer, digest=digest, mobile=mobile)
    signature = DeclarationSignature.objects.create(
        application=application,
        signer=signer,
        signer_name=signer.get_full_name() or application.declaration_name or signer.username,
        capacity=signer_capacity(signer, application),
        on_behalf_of=application.firm.firm_name,
        method=SIGNER.method,
        mobile=started.mobile,
        code_sent_at=timezone.now(),
        delivery_outbox_id=started.outbox_id,
        content_sha256=digest,
        content=declared_text(application),
    )
    logger.info(
        "declaration code sent: %s by user %s to %s",
        application.reference,
        signer.pk,
        masked_number(started.mobile),
    )
    return signature


def _resend_wait(application: Application, signer: User) -> None:
    """Refuse a new code for this application within a minute of the last one sent to this
    signatory for it (WorkflowError). Another application's code does not count: the hourly
    limit per person (DECLARATION_CODES_PER_HOUR) is the overall one."""
    last = (
        DeclarationSignature.objects.filter(application=application, signer=signer)
        .order_by("-code_sent_at")
        .values_list("code_sent_at", flat=True)
        .first()
    )
    if last is None:
        return
    waited = (timezone.now() - last).total_seconds()
    if waited < DECLARATION_RESEND_SECONDS:
        wait = DECLARATION_RESEND_SECONDS - int(waited)
        raise WorkflowError(
            gettext(
                "A code for %(reference)s was sent less than a minute ago. You can ask for a "
                "new one in %(seconds)s seconds."
            )
            % {"reference": application.reference, "seconds": wait}
        )


def declaration_pending(*, application: Application, signer: User) -> DeclarationSignature | None:
    """The code sent to `signer` for this application that may still sign it: their newest,
    unsigned, and younger than a code lives."""
    newest = DeclarationSignature.objects.filter(signer=signer).order_by("-id").first()
    if newest is None or newest.application_id != application.pk or newest.signed_at:
        return None
    if timezone.now() - newest.code_sent_at >= timedelta(seconds=OTP_VALID_SECONDS):
        return None
    return newest


@dataclass(frozen=True)
class SignOutcome:
    signature: DeclarationSignature | None  # signed; None when the code was refused
    refused: str = ""  # what to tell the signatory at the code's field


@transaction.atomic
def declaration_sign_confirm(*, application_id: int, signer: User, code: str) -> SignOutcome:
    """Sign with the code: it must answer the newest code sent to `signer`, for this
    application, while the application still has the hash it was sent for. A wrong code is
    counted (and kept counted: the outcome is returned, not raised)."""
    application = _locked_for_signing(application_id, signer)
    pending = DeclarationSignature.objects.filter(signer=signer).order_by("-id").first()
    if pending is None or pending.application_id != application.pk or pending.signed_at:
        raise WorkflowError(gettext("Ask for a code to sign this declaration first."))
    _refuse_while_checking(application)  # an upload begun after the code was sent
    if pending.content_sha256 != declared_sha256(application):
        raise WorkflowError(
            gettext(
                "The application changed after the code was sent. Ask for a new code to sign what "
                "it says now."
            )
        )
    result = SIGNER.complete(signature=pending, answer=code)
    if result is not OTPResult.OK:
        return SignOutcome(signature=None, refused=otp_message(result))
    pending.signed_at = timezone.now()
    pending.save(update_fields=["signed_at"])
    application_event_record(
        application_id=application.pk,
        actor=signer,
        note=f"Declaration signed. {signed_line(pending)}; SHA-256 {pending.content_sha256}.",
    )
    return SignOutcome(signature=pending)
