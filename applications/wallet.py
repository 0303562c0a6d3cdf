"""The fee wallet: a firm's prepaid account for application fees.

The firm is the IEC holder (accounts.IECRecord); `firm_of(user)` is the one place that says
whose wallet a person uses, so that members and agents can be added there later.

Every change of balance is one WalletEntry appended under the wallet's row lock; the
database refuses an entry that would break the chain or go below zero (see WalletEntry), so
of two payments racing for a balance that covers one, one is told the balance is short.

Side effects: a top-up and a refund each send the firm an email and an SMS (through the
outbox, in the same transaction). A top-up gets the platform's receipt (a deposit, no tax);
every fee, by card or from the wallet, gets the agency's GST tax invoice (tax.py).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext

from accounts import firms
from accounts.models import IECRecord, User
from accounts.notifications import email_send, sms_send

from .events import application_event_record
from .models import (
    Application,
    ApplicationEvent,
    Payment,
    Status,
    TaxInvoice,
    Wallet,
    WalletEntry,
    WalletTopUp,
    WalletTopUpEvent,
)
from .payments import GatewayUnavailable, cancel_open_payments, gateway_get
from .rollups import fee_captured, fee_refunded
from .selectors import fee_for
from .tax import (
    credit_note_issue_for_refund,
    receipt_issue_for_top_up,
    rupees,
    tax_invoice_issue_for_fee,
)

logger = logging.getLogger(__name__)

WALLET_GATEWAY = "wallet"  # Payment.gateway of a fee paid from the wallet


class WalletError(Exception):
    """A wallet action that cannot happen now. The message is written for the person acting."""


class BalanceShort(WalletError):  # noqa: N818 - reads as the outcome
    pass


def firm_of(user: User) -> IECRecord | None:
    """The firm whose wallet `user` manages (tops up, reads the ledger of): a firm where they
    hold the wallet capability (an administrator). Paying a fee from the wallet is a
    signatory's right over the application's firm instead (wallet_pay_fee)."""
    member = firms.member_of(user)
    if member is None or not firms.may(user, member.firm_id, firms.Capability.WALLET):
        return None
    return member.firm


def wallet_get(*, firm: IECRecord) -> Wallet:
    """The firm's wallet, created empty on first use."""
    wallet = Wallet.objects.filter(firm=firm).first()
    if wallet is not None:
        return wallet
    try:
        with transaction.atomic():
            return Wallet.objects.create(firm=firm)
    except IntegrityError:  # created at the same moment by another request
        return Wallet.objects.get(firm=firm)


def wallet_balance(wallet: Wallet) -> int:
    """The balance in paise: the last entry's balance_after (0 for a new wallet)."""
    last = wallet.entries.order_by("-sequence").values_list("balance_after_paise", flat=True)
    return last.first() or 0


def _locked(firm: IECRecord) -> Wallet:
    wallet = wallet_get(firm=firm)
    return Wallet.objects.select_for_update().get(pk=wallet.pk)


def _append(wallet: Wallet, *, kind: str, amount_paise: int, **fields: Any) -> WalletEntry:
    """Append one entry to a wallet locked by the caller's transaction."""
    last = wallet.entries.order_by("-sequence").values("sequence", "balance_after_paise").first()
    sequence, balance = (last["sequence"], last["balance_after_paise"]) if last else (0, 0)
    if balance + amount_paise < 0:
        raise BalanceShort(
            gettext(
                "Your wallet balance is INR %(balance)s; the fee is INR %(fee)s. "
                "Top up the wallet or pay by card."
            )
            % {"balance": rupees(balance), "fee": rupees(-amount_paise)}
        )
    return WalletEntry.objects.create(
        wallet=wallet,
        sequence=sequence + 1,
        kind=kind,
        amount_paise=amount_paise,
        balance_after_paise=balance + amount_paise,
        **fields,
    )


def _tell_firm(firm: IECRecord, template: str, context: dict[str, Any]) -> None:
    """The firm's email and SMS (after commit, through the outbox)."""
    user = getattr(getattr(firm, "profile", None), "user", None)
    email = user.email if user and user.email else firm.email
    mobile = user.mobile if user and user.mobile else firm.mobile
    context = {"firm_name": firm.firm_name, **context}
    email_send(to=email, template=template, context=context)
    if mobile:
        sms_send(to=mobile, template=template, context=context)


# ---------------------------------------------------------------------------------------------
# Top-ups
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def wallet_top_up_start(*, user: User, amount_rupees: int) -> WalletTopUp:
    """Open a top-up order at the gateway in use. Nothing is credited until it captures."""
    firm = firm_of(user)
    if firm is None:
        raise WalletError(gettext("Only an exporter's firm has a wallet."))
    low, high = settings.WALLET_TOP_UP_MIN, settings.WALLET_TOP_UP_MAX
    if not low <= amount_rupees <= high:
        raise WalletError(
            gettext("Top up between INR %(low)s and INR %(high)s at a time.")
            % {"low": low, "high": high}
        )
    try:
        gateway = gateway_get()
    except GatewayUnavailable as exc:
        logger.error("top-up refused: %s", exc)
        raise WalletError(
            gettext("Online payment is not available at the moment; nothing was charged.")
        ) from exc
    if not gateway.takes_top_ups:
        raise WalletError(
            gettext("The wallet cannot be topped up online here; pay each fee by card instead.")
        )
    return WalletTopUp.objects.create(
        wallet=wallet_get(firm=firm),
        order_id=f"TOP-{secrets.token_hex(10).upper()}",
        amount_paise=amount_rupees * 100,
        gateway=gateway.name,
        created_by=user,
    )


class TopUpRefused(Exception):  # noqa: N818 - reads as the outcome
    """A notification that was not applied: bad signature, unknown order, wrong amount."""


@dataclass(frozen=True)
class TopUpOutcome:
    top_up: WalletTopUp
    applied: bool
    replay: bool
    refused: str = ""


@transaction.atomic
def wallet_top_up_apply_event(
    *, payload: dict[str, Any], signature: str, source: str
) -> TopUpOutcome:
    """Apply one signed gateway event about a top-up, exactly once.

    The top-up row is locked, then the event id is recorded under a unique constraint in the
    same transaction as the credit: the same notification delivered five times, two at once,
    credits once (the second waits on the lock, then finds the event). A late "failed" never
    undoes a capture. Side effects of a capture: the ledger entry, the platform's receipt,
    an email and SMS to the firm."""
    try:
        gateway = gateway_get()
    except GatewayUnavailable as exc:
        raise TopUpRefused("No payment gateway takes payments here.") from exc
    if not gateway.verify(payload, signature):
        logger.warning("top-up %s refused: bad signature on %r", source, payload)
        raise TopUpRefused("The payment message's signature is not valid.")
    order_id, event_id = str(payload.get("order_id", "")), str(payload.get("event_id", ""))
    kind = str(payload.get("status", ""))
    top_up = (
        WalletTopUp.objects.select_for_update()
        .select_related("wallet__firm")
        .filter(order_id=order_id)
        .first()
    )
    if top_up is None or not event_id or kind not in {"captured", "failed", "cancelled"}:
        raise TopUpRefused("The payment message names no top-up of ours.")
    if WalletTopUpEvent.objects.filter(event_id=event_id).exists():
        return TopUpOutcome(top_up=top_up, applied=False, replay=True)
    event = WalletTopUpEvent(top_up=top_up, event_id=event_id, kind=kind, payload=payload)
    if payload.get("amount") != rupees(top_up.amount_paise) or payload.get("currency") != "INR":
        event.save()  # recorded, so that a replay is recognised, and not applied
        return TopUpOutcome(
            top_up=top_up,
            applied=False,
            replay=False,
            refused="The amount paid is not the amount of the top-up.",
        )
    event.applied = _top_up_apply(top_up, kind, payload)
    event.save()
    return TopUpOutcome(top_up=top_up, applied=event.applied, replay=False)


def _top_up_apply(top_up: WalletTopUp, kind: str, payload: dict[str, Any]) -> bool:
    if top_up.state == WalletTopUp.State.CAPTURED:
        return False  # captured is final
    if kind != "captured":
        if top_up.state == WalletTopUp.State.CREATED:
            top_up.state = kind
            top_up.save(update_fields=["state", "updated_at"])
            return True
        return False
    top_up.state = WalletTopUp.State.CAPTURED
    top_up.captured_at = timezone.now()
    top_up.gateway_reference = str(payload.get("gateway_reference", ""))[:100]
    top_up.save(update_fields=["state", "captured_at", "gateway_reference", "updated_at"])
    wallet = Wallet.objects.select_for_update().select_related("firm").get(pk=top_up.wallet_id)
    entry = _append(
        wallet,
        kind=WalletEntry.Kind.TOP_UP,
        amount_paise=top_up.amount_paise,
        top_up=top_up,
        description=f"Top-up {top_up.order_id} (transaction {top_up.gateway_reference})",
        actor=top_up.created_by,
    )
    receipt = receipt_issue_for_top_up(top_up=top_up, firm=wallet.firm)
    _tell_firm(
        wallet.firm,
        "wallet_topped_up",
        {
            "amount": rupees(top_up.amount_paise),
            "balance": rupees(entry.balance_after_paise),
            "order_id": top_up.order_id,
            "receipt_number": receipt.number,
        },
    )
    return True


# ---------------------------------------------------------------------------------------------
# Fees and refunds
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def wallet_pay_fee(*, application_id: int, user: User) -> Payment:
    """Pay an application's fee from the firm's wallet: one debit, the captured payment, the
    agency's tax invoice and the timeline event, in one transaction. Refused (nothing taken)
    when the balance does not cover the fee, or the fee is already paid."""
    application = Application.objects.select_for_update().get(pk=application_id)
    firm = application.firm
    if not firms.may(user, application.firm_id, firms.Capability.VIEW):
        raise WalletError(firms.NOT_YOURS)
    if not firms.may(user, application.firm_id, firms.Capability.SUBMIT):
        raise WalletError(firms.SUBMIT_REFUSAL)
    if not firms.may_pay_from_wallet(user, application.firm_id):
        raise WalletError(firms.AGENT_WALLET_REFUSAL)
    if application.status != Status.DRAFT:
        raise WalletError(gettext("The fee is paid before the application is first submitted."))
    if application.payments.filter(state=Payment.State.CAPTURED).exists():
        raise WalletError(gettext("The fee for this application has already been paid."))
    fee = fee_for(application)
    if fee is None or fee.currency != "INR":
        raise WalletError(
            gettext("No fee in rupees is set for this kind of certificate; contact support.")
        )
    if fee.waived:
        raise WalletError(
            gettext("No fee is due. %(explanation)s") % {"explanation": fee.explanation}
        )
    wallet = _locked(firm)
    amount = int(fee.amount * 100)
    cancel_open_payments(application)  # a card checkout left open is not to be paid now
    payment = Payment.objects.create(
        application=application,
        order_id=f"WAL-{secrets.token_hex(10).upper()}",
        amount=fee.amount,
        currency=fee.currency,
        gateway=WALLET_GATEWAY,
        state=Payment.State.CAPTURED,
        captured_at=timezone.now(),
        started_by=user,
    )
    fee_captured(payment=payment, agency_id=application.agency_id)
    entry = _append(  # raises BalanceShort, which rolls the payment back
        wallet,
        kind=WalletEntry.Kind.FEE,
        amount_paise=-amount,
        application=application,
        payment=payment,
        description=f"Fee for {application.reference}",
        actor=user,
    )
    payment.gateway_reference = f"WALLET-{wallet.pk}-{entry.sequence}"
    payment.save(update_fields=["gateway_reference", "updated_at"])
    application_event_record(
        application_id=application.pk,
        kind=ApplicationEvent.Kind.PAYMENT,
        actor=user,
        note=f"Fee of {payment.currency} {payment.amount} paid from the fee wallet.",
    )
    tax_invoice_issue_for_fee(payment=payment, firm=firm, firm_gstin=wallet.gstin)
    return payment


def refund_due(application: Application) -> bool:
    """The rule: a fee is refunded when the application is withdrawn or rejected before any
    officer took it up for review. (The workflow lets an officer reject only under review, so
    today that is a withdrawal of a paid draft or of a submitted application never opened.)"""
    if application.status not in {Status.WITHDRAWN, Status.REJECTED}:
        return False
    return not application.events.filter(to_status=Status.UNDER_REVIEW).exists()


def refund_on_withdrawal(application: Application) -> Payment | None:
    """The captured fee a withdrawal now would refund to the wallet (None: no fee paid, or an
    officer has already taken the application up, so the fee stays with the agency)."""
    if application.events.filter(to_status=Status.UNDER_REVIEW).exists():
        return None
    payment = application.payments.filter(state=Payment.State.CAPTURED).first()
    return payment if payment is not None and payment.currency == "INR" else None


def refund_told(application: Application) -> str:
    """What happened to the fee of a withdrawn or rejected application, in one sentence (the
    refund to the wallet and the credit note cancelling the fee's invoice), or ""."""
    entry = (
        WalletEntry.objects.filter(application=application, kind=WalletEntry.Kind.REFUND)
        .select_related("payment")
        .first()
    )
    if entry is None:
        return ""
    told = f"The fee of INR {rupees(entry.amount_paise)} was refunded to your firm's fee wallet"
    invoice = TaxInvoice.objects.filter(payment=entry.payment_id).first()
    credit = invoice.credit_notes.first() if invoice is not None else None
    if invoice is not None and credit is not None:
        told += (
            f"; credit note {credit.number} cancels {invoice.get_kind_display().lower()} "
            f"{invoice.number}"
        )
    return told + "."


def wallet_refund_if_due(*, application: Application, actor: User | None) -> WalletEntry | None:
    """Called by the workflow in the transaction of a withdrawal or a rejection: credit the
    captured fee (by card or from the wallet) to the firm's wallet if the rule says so. At
    most once per application (a database constraint). Side effects: an email and an SMS."""
    if not refund_due(application):
        return None
    payment = application.payments.filter(state=Payment.State.CAPTURED).first()
    firm = application.firm
    if payment is None or payment.currency != "INR":
        return None
    if WalletEntry.objects.filter(application=application, kind=WalletEntry.Kind.REFUND).exists():
        return None
    wallet = _locked(firm)
    entry = _append(
        wallet,
        kind=WalletEntry.Kind.REFUND,
        amount_paise=int(payment.amount * 100),
        application=application,
        payment=payment,
        description=f"Refund of the fee for {application.reference} "
        f"({application.get_status_display().lower()} before review)",
        actor=actor,
    )
    fee_refunded(entry=entry, agency_id=application.agency_id)
    invoice = TaxInvoice.objects.filter(payment=payment).first()
    credit = (
        credit_note_issue_for_refund(
            invoice=invoice,
            reason=f"Fee refunded: application {application.reference} "
            f"{application.get_status_display().lower()} before review",
        )
        if invoice is not None
        else None
    )
    cancels = (
        f" Credit note {credit.number} cancels {invoice.number}." if credit and invoice else ""
    )
    application_event_record(
        application_id=application.pk,
        kind=ApplicationEvent.Kind.PAYMENT,
        actor=actor,
        note=f"Fee of {payment.currency} {payment.amount} refunded to the fee wallet.{cancels}",
    )
    _tell_firm(
        firm,
        "wallet_refunded",
        {
            "application": application,
            "amount": rupees(entry.amount_paise),
            "balance": rupees(entry.balance_after_paise),
            "credit_note": credit.number if credit else "",
            "invoice": invoice.number if invoice else "",
        },
    )
    return entry


@transaction.atomic
def wallet_gstin_set(*, user: User, gstin: str) -> Wallet:
    """The firm's GSTIN for its tax invoices (blank: unregistered). Validated by the form."""
    firm = firm_of(user)
    if firm is None:
        raise WalletError("Only an exporter's firm has a wallet.")
    wallet = _locked(firm)
    wallet.gstin = gstin
    wallet.save(update_fields=["gstin", "updated_at"])
    return wallet


def wallet_fee_captured(*, payment: Payment) -> None:
    """Called by the card payment's capture, in its transaction: the agency's tax invoice."""
    firm = payment.application.firm
    gstin = Wallet.objects.filter(firm=firm).values_list("gstin", flat=True).first() or ""
    tax_invoice_issue_for_fee(payment=payment, firm=firm, firm_gstin=gstin)


def wallet_balance_for(user: User, firm_id: int) -> int | None:
    """The balance of that firm's wallet in paise, for someone who may pay its fees from it
    (None for anyone else: a preparer, or an agent the firm does not let pay from it)."""
    if not firms.may_pay_from_wallet(user, firm_id):
        return None
    # The wallet's id as a subquery, not a join: the planner then reads the last entry from
    # the (wallet, sequence) index instead of joining every entry of the ledger.
    wallet = Wallet.objects.filter(firm_id=firm_id).values("pk")[:1]
    last = WalletEntry.objects.filter(wallet_id=Subquery(wallet)).order_by("-sequence")
    return last.values_list("balance_after_paise", flat=True).first() or 0
