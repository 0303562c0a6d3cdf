"""Writes for the exporter's side of an application. Status changes live in workflow.py."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from accounts import firms
from accounts.models import User
from core.counters import counter_next
from core.durable.outbox import outbox_enqueue
from core.uploads import content_refusal, name_for_content, upload_precheck

from .events import application_event_record
from .models import (
    LINE_ITEM_FIELDS,
    PARTICULAR_FIELDS,
    AgencyOffice,
    Application,
    ApplicationEvent,
    CostSheet,
    CostSheetMaterial,
    Document,
    DocumentKind,
    Invoice,
    IssuingAgency,
    LineItem,
    Payment,
    PaymentEvent,
    PaymentNotice,
    ReferenceCounter,
    Status,
    TradeAgreement,
    UploadCheck,
)
from .notifications import Sent, notify
from .payments import GatewayEvent, GatewayUnavailable, cancel_open_payments, gateway_get
from .rollups import fee_captured
from .selectors import fee_for, preparer_problems
from .wallet import wallet_fee_captured
from .workflow import Action, WorkflowError, refusal

logger = logging.getLogger(__name__)

COPIED_FIELDS = PARTICULAR_FIELDS
# The exporter's declaration: made by whoever may submit (a signatory or an administrator).
DECLARATION_FIELDS = frozenset(
    {
        "declaration_name",
        "declaration_designation",
        "declaration_place",
        "declaration_date",
        "declaration_accepted",
    }
)
# The filer's own references (the filing API and bulk filing set them).
CLIENT_REFERENCE_FIELDS = frozenset({"client_reference", "purchase_order_number"})
# Fields a section form may write; anything else in `data` is a programming error.
SECTION_FIELDS = frozenset(COPIED_FIELDS) | DECLARATION_FIELDS | CLIENT_REFERENCE_FIELDS


def _locked_editable(
    application_id: int, exporter: User, *, particulars: bool = True
) -> Application:
    """The application locked for an edit by `exporter`; `particulars`: the edit changes what
    the certificate prints, which a request for a certified true copy may not (it prints its
    original's)."""
    application = Application.objects.select_for_update().get(pk=application_id)
    reason = refusal(application, Action.EDIT, exporter)
    if reason:
        raise WorkflowError(reason)
    if particulars and application.certified_copy_of_id:
        raise WorkflowError(
            gettext(
                "%(reference)s asks for a certified true copy: it repeats the original "
                "certificate's particulars, which cannot be changed here."
            )
            % {"reference": application.reference}
        )
    return application


def _reference_next() -> str:
    """COO-YYYY-NNNNNN from a counter row locked for the rest of the transaction: no gaps and
    no duplicates however many exporters apply at once."""
    year = timezone.localdate().year
    return f"COO-{year}-{counter_next(ReferenceCounter, year=year):06d}"


# ---------------------------------------------------------------------------------------------
# The application
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def application_create(
    *,
    exporter: User,
    certificate_type: str,
    agreement: TradeAgreement | None,
    destination_country: str,
    agency: IssuingAgency,
    office: AgencyOffice,
    firm_id: int | None = None,
    copied_from: Application | None = None,
) -> Application:
    """A new DRAFT for the firm `firm_id` (by default the only firm `exporter` acts for),
    filed by `exporter`: a member who may draft, or an agent's staff filing on the firm's
    behalf. Writes a creation event."""
    if firm_id is None and firms.agent_id_of(exporter) is None:  # an agent names the firm
        mine = firms.firm_ids_for(exporter)
        firm_id = next(iter(mine)) if len(mine) == 1 else None
    if firm_id is None or not firms.may(exporter, firm_id, firms.Capability.DRAFT):
        raise WorkflowError(gettext("You cannot start an application for this IEC."))
    agent_id = (
        firms.agent_id_of(exporter) if firms.role_in(exporter, firm_id) == firms.AGENT else None
    )
    application = Application.objects.create(
        reference=_reference_next(),
        firm_id=firm_id,
        exporter=exporter,
        filed_by_agent_id=agent_id,
        certificate_type=certificate_type,
        agreement=agreement,
        destination_country=destination_country,
        agency=agency,
        office=office,
    )
    note = f"Copied from {copied_from.reference}." if copied_from else "Application started."
    if application.filed_by_text:
        note = f"{note} {application.filed_by_text}."
    application_event_record(
        application_id=application.pk, actor=exporter, to_status=Status.DRAFT, note=note
    )
    return application


@transaction.atomic
def application_update(*, application_id: int, exporter: User, data: dict[str, Any]) -> None:
    """Save one section's fields (parties, transport or declaration)."""
    unknown = set(data) - SECTION_FIELDS
    if unknown:
        raise ValueError(f"Not section fields: {sorted(unknown)}")
    application = _locked_editable(application_id, exporter, particulars=False)
    changed = {field for field, value in data.items() if getattr(application, field) != value}
    if changed - DECLARATION_FIELDS - CLIENT_REFERENCE_FIELDS:
        _locked_editable(application_id, exporter)  # refuses a certified copy's particulars
    # The declaration is the signatory's: a preparer drafts everything else.
    if set(data) & DECLARATION_FIELDS and not firms.may(
        exporter, application.firm_id, firms.Capability.SUBMIT
    ):
        raise WorkflowError(firms.SUBMIT_REFUSAL)
    for field, value in data.items():
        setattr(application, field, value)
    application.save(update_fields=[*data, "updated_at"])


@transaction.atomic
def application_copy(*, application_id: int, exporter: User) -> Application:
    """A new draft with the parties, transport, invoices and goods of one of the exporter's
    applications; never its documents, payment or declaration."""
    source = Application.objects.get(pk=application_id, firm_id__in=firms.firm_ids_for(exporter))
    copy = application_create(
        exporter=exporter,
        firm_id=source.firm_id,
        certificate_type=source.certificate_type,
        agreement=source.agreement,
        destination_country=source.destination_country,
        agency=source.agency,
        office=source.office,
        copied_from=source,
    )
    for field in COPIED_FIELDS:
        setattr(copy, field, getattr(source, field))
    copy.save()
    Invoice.objects.bulk_create(
        Invoice(application=copy, number=i.number, date=i.date, currency=i.currency)
        for i in source.invoices.all()
    )
    LineItem.objects.bulk_create(
        LineItem(
            application=copy,
            position=item.position,
            **{f: getattr(item, f) for f in LINE_ITEM_FIELDS},
        )
        for item in source.items.all()
    )
    return copy


IN_LIEU_REASON_MAX = 1000


@transaction.atomic
def application_copy_in_lieu(
    *,
    application_id: int,
    exporter: User,
    certificate_id: int,
    certificate_number: str,
    reason: str,
) -> Application:
    """A copy of the application that will correct its certificate ("in lieu"): it records
    which certificate it replaces and why, carries the original's documents over (each a copy
    of the stored file, replaceable like any upload) and says so in its trail."""
    reason = reason.strip()
    if not reason:
        raise WorkflowError(gettext("Say why the certificate needs to be corrected."))
    if len(reason) > IN_LIEU_REASON_MAX:
        raise WorkflowError(
            gettext("Say why in at most %(limit)s characters.") % {"limit": IN_LIEU_REASON_MAX}
        )
    replacement = application_copy(application_id=application_id, exporter=exporter)
    replacement.replaces_id = certificate_id
    replacement.in_lieu_reason = reason
    replacement.save(update_fields=["replaces", "in_lieu_reason", "updated_at"])
    carried = _documents_carry_over(source_id=application_id, to=replacement)
    documents = f" {carried} document{'s' if carried != 1 else ''} carried over." if carried else ""
    application_event_record(
        application_id=replacement.pk,
        actor=exporter,
        note=f"Requested in lieu of certificate {certificate_number}. Reason: {reason}{documents}",
    )
    return replacement


@transaction.atomic
def application_copy_certified(
    *,
    application_id: int,
    exporter: User,
    certificate_id: int,
    certificate_number: str,
    reason: str,
) -> Application:
    """A request for a certified true copy of an issued certificate whose original was lost,
    stolen or destroyed: a copy of its application (the particulars the copy will print are
    the original's, whatever this draft says) that records which certificate and why, and
    says so in its trail."""
    request = application_copy(application_id=application_id, exporter=exporter)
    request.certified_copy_of_id = certificate_id
    request.copy_reason = reason
    request.save(update_fields=["certified_copy_of", "copy_reason", "updated_at"])
    application_event_record(
        application_id=request.pk,
        actor=exporter,
        note=f"Requested a certified true copy of certificate {certificate_number} "
        f"({request.get_copy_reason_display().lower()}).",
    )
    return request


def _documents_carry_over(*, source_id: int, to: Application) -> int:
    """Copy each of the source's documents, stored file included, onto `to`: a file of its
    own, so replacing or deleting it on one application leaves the other's intact."""
    count = 0
    for original in Document.objects.filter(application_id=source_id).order_by("pk"):
        with original.file.open("rb") as stored:
            content = ContentFile(stored.read())
        copy = Document(
            application=to,
            kind=original.kind,
            original_name=original.original_name,
            content_type=original.content_type,
            size=original.size,
            sha256=original.sha256,
            uploaded_by=original.uploaded_by,
        )
        copy.file.save(original.sha256, content, save=False)
        copy.save()
        count += 1
    return count


@transaction.atomic
def application_request_signature(*, application_id: int, preparer: User) -> Application:
    """A preparer says their draft is ready: every signatory and administrator of the firm is
    told (email, and SMS to a verified mobile, through the outbox) and sees it on their list
    until it leaves DRAFT. Refused while the preparer's own part is incomplete, and to anyone
    who may sign it themselves. Side effects: a timeline event; `notified` on the result."""
    application = _locked_editable(application_id, preparer)
    if application.status != Status.DRAFT:
        raise WorkflowError(gettext("Only a draft waits for a signature."))
    if firms.may(preparer, application.firm_id, firms.Capability.SUBMIT):
        raise WorkflowError(gettext("You may declare, pay and submit this application yourself."))
    problems = preparer_problems(application)
    if problems:
        raise WorkflowError(
            gettext("It is not ready for signature yet: %(problems)s.")
            % {"problems": "; ".join(problems)}
        )
    application.signature_requested_by = preparer
    application.signature_requested_at = timezone.now()
    application.save(
        update_fields=["signature_requested_by", "signature_requested_at", "updated_at"]
    )
    name = preparer.get_full_name() or preparer.username
    application_event_record(
        application_id=application.pk,
        actor=preparer,
        note="Ready for signature: a signatory is asked to check it, declare, pay and submit.",
    )
    application.notified = notify("ready_for_signature", application, preparer_name=name)
    return application


# ---------------------------------------------------------------------------------------------
# Invoices and goods
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def invoice_add(*, application_id: int, exporter: User, data: dict[str, Any]) -> Invoice:
    application = _locked_editable(application_id, exporter)
    invoice = Invoice.objects.create(application=application, **data)
    application.save(update_fields=["updated_at"])
    return invoice


@transaction.atomic
def invoice_remove(*, application_id: int, exporter: User, invoice_id: int) -> None:
    application = _locked_editable(application_id, exporter)
    application.invoices.filter(pk=invoice_id).delete()
    application.save(update_fields=["updated_at"])


def _next_position(application: Application) -> int:
    return (application.items.aggregate(m=Max("position"))["m"] or 0) + 1


@transaction.atomic
def line_item_add(*, application_id: int, exporter: User, data: dict[str, Any]) -> LineItem:
    application = _locked_editable(application_id, exporter)
    item = LineItem.objects.create(
        application=application, position=_next_position(application), **data
    )
    application.save(update_fields=["updated_at"])
    return item


@transaction.atomic
def line_item_update(
    *, application_id: int, exporter: User, item_id: int, data: dict[str, Any]
) -> LineItem:
    application = _locked_editable(application_id, exporter)
    item = application.items.get(pk=item_id)
    for field, value in data.items():
        setattr(item, field, value)
    item.save()
    application.save(update_fields=["updated_at"])
    return item


@transaction.atomic
def cost_sheet_save(
    *,
    application_id: int,
    exporter: User,
    item_id: int,
    costs: dict[str, Any],
    materials: list[dict[str, Any]],
) -> CostSheet:
    """Keep an item's cost sheet: its costs, and its bill of materials replaced by
    `materials` (already validated; an evidence document must be the application's own)."""
    application = _locked_editable(application_id, exporter)
    item = application.items.get(pk=item_id)
    documents = set(application.documents.values_list("pk", flat=True))
    if any(m.get("evidence") and m["evidence"].pk not in documents for m in materials):
        raise WorkflowError(gettext("The evidence must be one of this application's documents."))
    sheet, _ = CostSheet.objects.update_or_create(item=item, defaults=costs)
    sheet.materials.all().delete()
    CostSheetMaterial.objects.bulk_create(
        CostSheetMaterial(cost_sheet=sheet, position=n, **row)
        for n, row in enumerate(materials, start=1)
    )
    application.save(update_fields=["updated_at"])
    return sheet


@transaction.atomic
def line_item_remove(*, application_id: int, exporter: User, item_id: int) -> bool:
    """Remove a line of goods; False if the application has no such line (nothing done)."""
    application = _locked_editable(application_id, exporter)
    removed, _ = application.items.filter(pk=item_id).delete()
    if removed:
        application.save(update_fields=["updated_at"])
    return bool(removed)


@transaction.atomic
def line_items_import(
    *, application_id: int, exporter: User, rows: list[dict[str, Any]]
) -> list[LineItem]:
    """Append already-validated rows, all or nothing."""
    application = _locked_editable(application_id, exporter)
    start = _next_position(application)
    items = LineItem.objects.bulk_create(
        LineItem(application=application, position=start + n, **row) for n, row in enumerate(rows)
    )
    application.save(update_fields=["updated_at"])
    return items


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------


UPLOAD_CHECK_TASK = "applications.upload_check"


@transaction.atomic
def upload_receive(
    *, application_id: int, exporter: User, kind: str, upload: UploadedFile
) -> UploadCheck:
    """Take an upload from the documents page: what can be said at once (empty, too big, not a
    PDF, JPEG or PNG) raises ValidationError here; the file is then kept apart, unusable, and
    its content is checked off the web threads by the upload-check task (upload_check_run),
    queued after commit through the outbox. Nothing of the application changes until then."""
    # A document is not one of the particulars a certified true copy repeats (as before the
    # checks left the web threads, and as the API has always allowed).
    application = _locked_editable(application_id, exporter, particulars=False)
    content_type = upload_precheck(upload)  # raises ValidationError
    check = UploadCheck(
        application=application,
        kind=kind,
        token=secrets.token_hex(16),
        original_name=(upload.name or "upload")[-255:],
        content_type=content_type,
        size=upload.size or 0,
        uploaded_by=exporter,
    )
    upload.seek(0)
    check.file.save(check.token, upload, save=False)
    check.save()
    outbox_enqueue(task=UPLOAD_CHECK_TASK, args=[check.pk])
    return check


def upload_check_run(*, check_id: int) -> UploadCheck:
    """The upload-check task's work, idempotent: read the kept file's content in the limited
    child process (uploads.content_refusal) and, if it passes, make it the application's
    document (a new invoice, packing list or bill of lading replacing the one there); if not,
    record why. The kept copy goes either way."""
    check = UploadCheck.objects.select_related("application").get(pk=check_id)
    if check.state != UploadCheck.State.CHECKING:
        return check
    with check.file.open("rb") as kept:
        data = kept.read()
    refusal = content_refusal(data, check.content_type)
    return _upload_check_finish(check_id=check.pk, data=data, refusal=refusal)


@transaction.atomic
def _upload_check_finish(
    *, check_id: int, data: bytes, refusal: tuple[str, str] | None
) -> UploadCheck:
    check = UploadCheck.objects.select_for_update().get(pk=check_id)
    if check.state != UploadCheck.State.CHECKING:
        return check  # a duplicate delivery finished it first
    check.checked_at = timezone.now()
    message = refusal[0] if refusal is not None else ""
    if refusal is None:
        try:
            check.document = _document_store(check, data)
        except WorkflowError as exc:  # submitted or withdrawn meanwhile
            message = f"The file was not added: {exc}"
    if message:
        check.state, check.message = UploadCheck.State.REFUSED, message
    else:
        check.state = UploadCheck.State.ACCEPTED
    name, storage = check.file.name, check.file.storage
    check.save(update_fields=["state", "message", "document", "checked_at", "updated_at"])
    transaction.on_commit(lambda: storage.delete(name))
    return check


def _document_store(check: UploadCheck, data: bytes) -> Document:
    application = _locked_editable(check.application_id, check.uploaded_by, particulars=False)
    if check.kind != DocumentKind.OTHER:
        for old in application.documents.filter(kind=check.kind):
            _document_delete(old)
    sha256 = hashlib.sha256(data).hexdigest()
    document = Document(
        application=application,
        kind=check.kind,
        original_name=name_for_content(check.original_name, check.content_type)[-255:],
        content_type=check.content_type,
        size=len(data),
        sha256=sha256,
        uploaded_by=check.uploaded_by,
    )
    document.file.save(sha256, ContentFile(data), save=False)
    document.save()
    application.save(update_fields=["updated_at"])
    return document


@transaction.atomic
def upload_checks_told(*, application_id: int, check_ids: list[int]) -> int:
    """The uploader's page has shown these finished checks' results: not shown again."""
    return (
        UploadCheck.objects.filter(application_id=application_id, pk__in=check_ids)
        .exclude(state=UploadCheck.State.CHECKING)
        .filter(told_at__isnull=True)
        .update(told_at=timezone.now())
    )


def _document_delete(document: Document) -> None:
    name, storage = document.file.name, document.file.storage
    document.delete()
    # The file goes only once the row's deletion is committed.
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def document_remove(*, application_id: int, exporter: User, document_id: int) -> bool:
    """Delete an uploaded document; False if the application has no such document."""
    application = _locked_editable(application_id, exporter, particulars=False)
    document = application.documents.filter(pk=document_id).first()
    if document is None:
        return False
    _document_delete(document)
    application.save(update_fields=["updated_at"])
    return True


# ---------------------------------------------------------------------------------------------
# Payments
# ---------------------------------------------------------------------------------------------


class PaymentRefused(Exception):  # noqa: N818 - reads as the outcome, like Http404
    """A notification that was not applied: bad signature, wrong amount, unknown order."""


@dataclass(frozen=True)
class PaymentOutcome:
    payment: Payment
    applied: bool
    replay: bool
    refused: str = ""
    notified: Sent | None = None  # what was queued to people (a receipt, once captured)


@transaction.atomic
def payment_start(*, application_id: int, exporter: User) -> Payment:
    """Open a payment for the fee in force, computed here and never taken from the browser.
    A second click while one is open reuses it; a captured fee is never charged again."""
    application = Application.objects.select_for_update().get(pk=application_id)
    if not firms.may(exporter, application.firm_id, firms.Capability.VIEW):
        raise WorkflowError(gettext("This application is not yours."))
    if not firms.may(exporter, application.firm_id, firms.Capability.SUBMIT):
        raise WorkflowError(firms.SUBMIT_REFUSAL)
    if application.status != Status.DRAFT:
        raise WorkflowError(gettext("The fee is paid before the application is first submitted."))
    payments = application.payments.all()
    if any(p.state == Payment.State.CAPTURED for p in payments):
        raise WorkflowError(gettext("The fee for this application has already been paid."))
    open_payment = next((p for p in payments if p.state == Payment.State.CREATED), None)
    fee = fee_for(application)
    if fee is None:
        raise WorkflowError(gettext("No fee is set for this kind of certificate; contact support."))
    if fee.waived:
        raise WorkflowError(
            gettext("No fee is due. %(explanation)s") % {"explanation": fee.explanation}
        )
    try:  # asked for an open checkout too: its page is the gateway's
        gateway = gateway_get()
    except GatewayUnavailable as exc:
        logger.error("payment refused: %s", exc)
        raise WorkflowError(
            gettext(
                "Online payment is not available at the moment; nothing was charged. "
                "Contact support."
            )
        ) from exc
    problem = gateway.problem_for(application.agency.code)
    if problem:
        logger.error("payment refused: %s", problem)
        raise WorkflowError(
            gettext(
                "Online payment is not available at the moment; nothing was charged. "
                "Contact support."
            )
        )
    if open_payment and open_payment.amount == fee.amount and open_payment.gateway == gateway.name:
        return open_payment
    if open_payment:  # the fee or the gateway changed: the old checkout is not one to pay
        cancel_open_payments(application)
    payment = Payment.objects.create(
        application=application,
        order_id=f"ORD-{secrets.token_hex(10).upper()}",
        amount=fee.amount,
        currency=fee.currency,
        gateway=gateway.name,
        started_by=exporter,
    )
    try:
        payment.gateway_order_id = gateway.open(payment)
    except GatewayUnavailable as exc:
        raise WorkflowError(
            gettext(
                "The payment service did not answer; nothing was charged. "
                "Try again in a few minutes."
            )
        ) from exc
    payment.save(update_fields=["gateway_order_id", "updated_at"])
    return payment


@transaction.atomic
def payment_apply_event(
    *, payload: dict[str, Any], signature: str, source: str, gateway_name: str | None = None
) -> PaymentOutcome:
    """Apply one signed gateway event (from the notification or the browser's return).

    The event id is recorded under a unique constraint in this same transaction, so a replay,
    or the same event arriving by both routes at once, applies once. A bad signature, an
    unknown order or an amount that differs from what was asked is logged and refused. A late
    "failed" or "cancelled" never undoes a capture.
    """
    try:
        gateway = gateway_get(gateway_name)
    except GatewayUnavailable as exc:
        logger.error("payment %s refused: %s", source, exc)
        raise PaymentRefused("No payment gateway takes payments here.") from exc
    if not gateway.verify(payload, signature):
        logger.warning("payment %s refused: bad signature on %r", source, payload)
        raise PaymentRefused("The payment message's signature is not valid.")
    return _payment_apply(payload=payload, source=source)


@transaction.atomic
def payment_apply_gateway_event(*, event: GatewayEvent, source: str) -> PaymentOutcome:
    """Apply an event that a gateway's module has authenticated by its own means (Razorpay's
    payment or webhook signature, or its answer to a status query): as payment_apply_event."""
    return _payment_apply(payload=event.as_payload(), source=source)


def _payment_apply(*, payload: dict[str, Any], source: str) -> PaymentOutcome:
    order_id, event_id = str(payload.get("order_id", "")), str(payload.get("event_id", ""))
    kind = str(payload.get("status", ""))
    payment = (
        Payment.objects.select_for_update()
        .select_related("application")
        .filter(order_id=order_id)
        .first()
    )
    if payment is None or not event_id or kind not in {"captured", "failed", "cancelled"}:
        logger.warning("payment %s refused: unknown order or event %r", source, payload)
        raise PaymentRefused("The payment message names no order of ours.")
    # Lock the application too: two payments of one application cannot both be captured.
    Application.objects.select_for_update().filter(pk=payment.application_id).first()
    if PaymentEvent.objects.filter(event_id=event_id).exists():
        logger.info("payment %s: replay of event %s ignored", source, event_id)
        return PaymentOutcome(payment=payment, applied=False, replay=True)
    try:
        amount_ok = Decimal(str(payload.get("amount"))) == payment.amount
    except (InvalidOperation, ValueError):
        amount_ok = False
    amount_ok = amount_ok and payload.get("currency") == payment.currency
    event = PaymentEvent(payment=payment, event_id=event_id, kind=kind, payload=payload)
    if not amount_ok:
        logger.warning(
            "payment %s refused: amount %r differs from %s %s",
            source,
            payload.get("amount"),
            payment.amount,
            payment.currency,
        )
        # Recorded (so a replay is recognised) but not applied; the payment stays as it was.
        _record(event)
        return PaymentOutcome(
            payment=payment,
            applied=False,
            replay=False,
            refused="The amount paid is not the fee that was asked.",
        )
    with transaction.atomic():
        event.applied = _apply(payment, kind, payload, source)
        try:
            _record(event)
        except IntegrityError:
            # The same event committed by a concurrent request after our check: a replay.
            transaction.set_rollback(True)
            return PaymentOutcome(payment=payment, applied=False, replay=True)
    notified = None
    if event.applied and payment.state == Payment.State.CAPTURED:
        notified = notify("paid", payment.application, payment=payment)
        PaymentNotice.objects.bulk_create(
            PaymentNotice(
                payment=payment,
                outbox_id=outbox_id,
                who=d.who,
                user_ids=list(d.user_ids),
                channel=d.channel,
                address=d.address,
            )
            for d in notified.deliveries
            for outbox_id in d.outbox_ids
        )
    return PaymentOutcome(payment=payment, applied=event.applied, replay=False, notified=notified)


def _taken(payment: Payment, state: str, payload: dict[str, Any]) -> None:
    """Record that the gateway took the money: `state` (captured, or unapplied) and when."""
    payment.state = state
    payment.captured_at = timezone.now()
    payment.gateway_reference = str(payload.get("gateway_reference", ""))[:100]
    payment.save(update_fields=["state", "captured_at", "gateway_reference", "updated_at"])
    if state == Payment.State.CAPTURED:  # an unapplied capture is no fee
        fee_captured(payment=payment, agency_id=payment.application.agency_id)


def _capture_unapplied(payment: Payment, payload: dict[str, Any], why: str) -> bool:
    """The gateway took money the application no longer needs (`why`: its fee was paid
    another way, or it was withdrawn): kept on record as unapplied, on the timeline and in
    the error log, never as a second fee, and refunded to the card through the gateway."""
    application = payment.application
    _taken(payment, Payment.State.UNAPPLIED, payload)
    logger.error(
        "payment %s captured after %s: recorded as unapplied, to be refunded to the card",
        payment.order_id,
        why,
    )
    application_event_record(
        application_id=application.pk,
        kind=ApplicationEvent.Kind.PAYMENT,
        note=f"A card payment of {payment.currency} {payment.amount} (order "
        f"{payment.order_id}, transaction {payment.gateway_reference}) was received after "
        f"{why}. It was not applied and is being refunded to the card.",
    )
    # Given back through the gateway after commit (reconcile.payment_refund_unapplied); the
    # reconciler retries it should the gateway not answer.
    outbox_enqueue(task="applications.payment_refund_unapplied", args=[payment.pk])
    return True


def _record(event: PaymentEvent) -> None:
    with transaction.atomic():
        event.save()


def _paid_by(payment: Payment, source: str) -> tuple[User | None, str]:
    """Who the timeline says paid, and how the capture was learnt: the payer themselves when
    their browser came back from the gateway; the gateway's own confirmation (its webhook, or
    its answer to the reconciler's query) otherwise, naming who opened the checkout."""
    payer = payment.started_by
    if source == "return" and payer is not None:
        return payer, ""
    how = "on the payment gateway's confirmation"
    if payer is not None:
        how = f"checkout opened by {payer.get_full_name() or payer.username}; recorded {how}"
    return None, f"; {how}"


def _apply(payment: Payment, kind: str, payload: dict[str, Any], source: str) -> bool:
    if payment.state in (Payment.State.CAPTURED, Payment.State.UNAPPLIED):
        return False  # taken is final
    if kind == "captured":
        application = payment.application
        if application.payments.filter(state=Payment.State.CAPTURED).exists():
            return _capture_unapplied(payment, payload, "the fee had already been paid")
        if application.status != Status.DRAFT:
            why = f"the application is {application.get_status_display().lower()}"
            return _capture_unapplied(payment, payload, why)
        _taken(payment, Payment.State.CAPTURED, payload)
        payer, how = _paid_by(payment, source)
        application_event_record(
            application_id=payment.application_id,
            kind=ApplicationEvent.Kind.PAYMENT,
            actor=payer,
            note=f"Fee of {payment.currency} {payment.amount} paid by card "
            f"(transaction {payment.gateway_reference}{how}).",
        )
        wallet_fee_captured(payment=payment)  # the GST tax invoice
        return True
    if payment.state == Payment.State.CREATED:
        payment.state = Payment.State.FAILED if kind == "failed" else Payment.State.CANCELLED
        payment.save(update_fields=["state", "updated_at"])
        return True
    return False
