"""Writes for the exporter's side of an application. Status changes live in workflow.py."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts import firms
from accounts.models import User
from core.counters import counter_next
from core.durable.outbox import outbox_enqueue
from core.uploads import name_for_content, upload_check

from .events import application_event_record
from .models import (
    LINE_ITEM_FIELDS,
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
)
from .notifications import Sent, notify
from .payments import GatewayEvent, GatewayUnavailable, cancel_open_payments, gateway_get
from .selectors import fee_for
from .wallet import wallet_fee_captured
from .workflow import Action, WorkflowError, refusal

logger = logging.getLogger(__name__)

COPIED_FIELDS = (
    "consignee_name",
    "consignee_address",
    "consignee_country",
    "third_party_invoicing",
    "third_party_name",
    "third_party_address",
    "third_party_country",
    "third_party_invoice_number",
    "third_party_invoice_date",
    "back_to_back",
    "foreign_certificate_number",
    "foreign_certificate_issuer",
    "foreign_certificate_country",
    "foreign_certificate_date",
    "transport_mode",
    "vessel_or_flight",
    "port_of_loading",
    "port_of_discharge",
    "departure_date",
    "remarks",
)
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


def _locked_editable(application_id: int, exporter: User) -> Application:
    application = Application.objects.select_for_update().get(pk=application_id)
    reason = refusal(application, Action.EDIT, exporter)
    if reason:
        raise WorkflowError(reason)
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
    if firm_id is None:
        mine = firms.firm_ids_for(exporter)
        firm_id = next(iter(mine)) if len(mine) == 1 else None
    if firm_id is None or not firms.may(exporter, firm_id, firms.Capability.DRAFT):
        raise WorkflowError("You cannot start an application for this IEC.")
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
    application = _locked_editable(application_id, exporter)
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


@transaction.atomic
def application_copy_in_lieu(
    *, application_id: int, exporter: User, certificate_id: int, certificate_number: str
) -> Application:
    """A copy of the application that will correct its certificate ("in lieu"): it records
    which certificate it replaces and says so in its trail."""
    replacement = application_copy(application_id=application_id, exporter=exporter)
    replacement.replaces_id = certificate_id
    replacement.save(update_fields=["replaces", "updated_at"])
    application_event_record(
        application_id=replacement.pk,
        actor=exporter,
        note=f"Requested in lieu of certificate {certificate_number}.",
    )
    return replacement


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
        raise WorkflowError("The evidence must be one of this application's documents.")
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


@transaction.atomic
def document_upload(
    *, application_id: int, exporter: User, kind: str, upload: UploadedFile
) -> Document:
    """Store a checked upload privately. A new invoice, packing list or bill of lading replaces
    the one already there; "other" documents accumulate."""
    application = _locked_editable(application_id, exporter)
    checked = upload_check(upload)  # raises ValidationError; the draft is untouched
    if kind != DocumentKind.OTHER:
        for old in application.documents.filter(kind=kind):
            _document_delete(old)
    document = Document(
        application=application,
        kind=kind,
        original_name=name_for_content(upload.name or "upload", checked.content_type)[-255:],
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=exporter,
    )
    document.file.save(checked.sha256, upload, save=False)
    document.save()
    application.save(update_fields=["updated_at"])
    return document


def _document_delete(document: Document) -> None:
    name, storage = document.file.name, document.file.storage
    document.delete()
    # The file goes only once the row's deletion is committed.
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def document_remove(*, application_id: int, exporter: User, document_id: int) -> bool:
    """Delete an uploaded document; False if the application has no such document."""
    application = _locked_editable(application_id, exporter)
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
        raise WorkflowError("This application is not yours.")
    if not firms.may(exporter, application.firm_id, firms.Capability.SUBMIT):
        raise WorkflowError(firms.SUBMIT_REFUSAL)
    if application.status != Status.DRAFT:
        raise WorkflowError("The fee is paid before the application is first submitted.")
    payments = application.payments.all()
    if any(p.state == Payment.State.CAPTURED for p in payments):
        raise WorkflowError("The fee for this application has already been paid.")
    open_payment = next((p for p in payments if p.state == Payment.State.CREATED), None)
    fee = fee_for(application)
    if fee is None:
        raise WorkflowError("No fee is set for this kind of certificate; contact support.")
    try:  # asked for an open checkout too: its page is the gateway's
        gateway = gateway_get()
    except GatewayUnavailable as exc:
        logger.error("payment refused: %s", exc)
        raise WorkflowError(
            "Online payment is not available at the moment; nothing was charged. Contact support."
        ) from exc
    problem = gateway.problem_for(application.agency.code)
    if problem:
        logger.error("payment refused: %s", problem)
        raise WorkflowError(
            "Online payment is not available at the moment; nothing was charged. Contact support."
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
    )
    try:
        payment.gateway_order_id = gateway.open(payment)
    except GatewayUnavailable as exc:
        raise WorkflowError(
            "The payment service did not answer; nothing was charged. Try again in a few minutes."
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
        event.applied = _apply(payment, kind, payload)
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


def _apply(payment: Payment, kind: str, payload: dict[str, Any]) -> bool:
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
        application_event_record(
            application_id=payment.application_id,
            kind=ApplicationEvent.Kind.PAYMENT,
            note=f"Fee of {payment.currency} {payment.amount} paid "
            f"(transaction {payment.gateway_reference}).",
        )
        wallet_fee_captured(payment=payment)  # the GST tax invoice
        return True
    if payment.state == Payment.State.CREATED:
        payment.state = Payment.State.FAILED if kind == "failed" else Payment.State.CANCELLED
        payment.save(update_fields=["state", "updated_at"])
        return True
    return False
