from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from reference.models import IssuingAgency

from .application import Application


class Payment(TimeStampedModel):
    class State(models.TextChoices):
        CREATED = "created", _("Awaiting payment")
        CAPTURED = "captured", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        # The gateway took it after the fee was paid another way or the application was
        # withdrawn: recorded, not applied, due back to the card.
        UNAPPLIED = "unapplied", _("Paid, not applied: due back")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="payments")
    order_id = models.CharField(max_length=40, unique=True)
    amount = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(max_length=3, default="INR")
    state = models.CharField(max_length=10, choices=State.choices, default=State.CREATED)
    gateway = models.CharField(max_length=30)
    # The gateway's own id of the order (Razorpay's "order_..."), where it has one.
    gateway_order_id = models.CharField(
        max_length=100, blank=True, db_index=True, default="", db_default=""
    )
    gateway_reference = models.CharField(max_length=100, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    # Who opened the checkout (or paid from the wallet): the payer the timeline names. Empty
    # on payments made before it was recorded.
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one captured payment per application: the fee is never taken twice.
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(state="captured"),
                name="payment_one_capture_per_application",
            ),
        ]
        # The fees report reads today's captured payments (applications/rollups.py).
        indexes = [models.Index(fields=["captured_at"], name="payment_captured")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.amount} {self.state}"


class PaymentEvent(models.Model):
    """Each gateway notification, recorded once under its event id."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=30)
    payload = models.JSONField(default=dict)
    applied = models.BooleanField(default=False)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.kind}"


class PaymentRefund(models.Model):
    """Money given back to the card through the gateway: today a capture nobody needs (the fee
    was paid another way, or the application was withdrawn first), refunded automatically,
    once (the constraint), whoever asks again (a retried task, the reconciler)."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Being refunded")
        PROCESSED = "processed", _("Refunded")
        REFUSED = "refused", _("Refund refused by the gateway")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_paise = models.BigIntegerField()
    reason = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=State.choices, default=State.REQUESTED)
    gateway_refund_id = models.CharField(max_length=100, blank=True)
    detail = models.CharField(max_length=300, blank=True)  # the gateway's words on a refusal
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["payment"], name="paymentrefund_once_per_payment"),
            models.CheckConstraint(
                name="paymentrefund_amount_positive", condition=models.Q(amount_paise__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.amount_paise} {self.state}"


# ---------------------------------------------------------------------------------------------
# The fee wallet and GST tax invoices (applications/wallet.py, applications/tax.py)
# ---------------------------------------------------------------------------------------------
# Money is counted in paise (integers): SQLite keeps decimals as floating point, and the
# ledger's database checks compare sums exactly.


class Wallet(TimeStampedModel):
    """A firm's prepaid fee account. The firm is the IEC holder (accounts.IECRecord), so every
    person who later acts for the firm shares it. The balance is the last ledger entry's
    balance_after: there is no balance column that could drift from the ledger."""

    firm = models.OneToOneField(
        "accounts.IECRecord", on_delete=models.PROTECT, related_name="wallet"
    )
    # The firm's GST registration, if it has one: printed as the recipient's GSTIN.
    gstin = models.CharField("GSTIN", max_length=15, blank=True)

    def __str__(self) -> str:
        return f"Wallet of {self.firm}"


class WalletTopUp(TimeStampedModel):
    """Money paid into a wallet through the payment gateway: credited once, on capture."""

    class State(models.TextChoices):
        CREATED = "created", _("Awaiting payment")
        CAPTURED = "captured", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="top_ups")
    order_id = models.CharField(max_length=40, unique=True)
    amount_paise = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="INR")
    state = models.CharField(max_length=10, choices=State.choices, default=State.CREATED)
    gateway = models.CharField(max_length=30)
    gateway_reference = models.CharField(max_length=100, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="wallettopup_amount_positive", condition=models.Q(amount_paise__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.amount_paise} {self.state}"


class WalletTopUpEvent(models.Model):
    """Each gateway notification about a top-up, recorded once under its event id in the
    transaction that applies it."""

    top_up = models.ForeignKey(WalletTopUp, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=30)
    payload = models.JSONField(default=dict)
    applied = models.BooleanField(default=False)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.event_id} {self.kind}"


class WalletEntry(models.Model):
    """One line of a wallet's ledger, append-only.

    The database keeps the ledger a chain: entries of a wallet are numbered 1, 2, 3... without
    gaps or forks (unique wallet + sequence, and a trigger that requires entry n-1 to exist),
    each entry's balance_after is the previous entry's balance_after plus its amount (the same
    trigger), and no balance is ever negative (a check). Updates are refused by a trigger, and
    deletes too on PostgreSQL (migration 0006: SQLite's must allow Django's test flush). So
    the balance, the last balance_after, is always the sum of the ledger and never below
    zero, whatever code writes to the table.
    """

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        FEE = "fee", _("Fee paid")
        REFUND = "refund", _("Refund")

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount_paise = models.BigIntegerField(help_text="Credit positive, debit negative.")
    balance_after_paise = models.BigIntegerField()
    top_up = models.OneToOneField(
        WalletTopUp, null=True, blank=True, on_delete=models.PROTECT, related_name="entry"
    )
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="wallet_entries"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="wallet_entries"
    )
    description = models.CharField(max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["wallet", "sequence"]
        verbose_name_plural = "wallet entries"
        indexes = [
            # The agency's settlement of a day lists the wallet's fee movements of that day:
            # without it, a read of every ledger's every entry (0.45 s at a million entries,
            # bench/pages.py).
            models.Index(fields=["created_at"], name="walletentry_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["wallet", "sequence"], name="walletentry_chain_unique"),
            models.CheckConstraint(
                name="walletentry_balance_not_negative",
                condition=models.Q(balance_after_paise__gte=0),
            ),
            models.CheckConstraint(
                name="walletentry_sequence_positive", condition=models.Q(sequence__gte=1)
            ),
            models.CheckConstraint(
                name="walletentry_sign_by_kind",
                condition=(
                    models.Q(kind="top_up", amount_paise__gt=0, top_up__isnull=False)
                    | models.Q(kind="fee", amount_paise__lt=0, application__isnull=False)
                    | models.Q(kind="refund", amount_paise__gt=0, application__isnull=False)
                ),
            ),
            # An application's fee is taken from the wallet at most once, and refunded once.
            models.UniqueConstraint(
                fields=["application", "kind"],
                condition=models.Q(kind__in=["fee", "refund"]),
                name="walletentry_once_per_application",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.wallet_id}#{self.sequence} {self.kind} {self.amount_paise}"


class TaxInvoiceCounter(models.Model):
    """One row per supplier and financial year, locked to number its tax invoices gaplessly.
    `supplier` is "agency:<code>" for an agency's fee invoices, "platform" for top-ups."""

    supplier = models.CharField(max_length=40)
    financial_year = models.PositiveIntegerField(help_text="2026 is April 2026 to March 2027.")
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "financial_year"], name="taxinvoicecounter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.supplier} {self.financial_year}: {self.last}"


class TaxInvoice(models.Model):
    """A GST tax invoice for a fee, or the receipt for a wallet top-up, its figures fixed when
    it is issued (the PDF is drawn from them). A top-up is a deposit for fees that agencies
    supply later, not a supply itself: its receipt carries no tax (a constraint), and the tax
    is on each fee's invoice. For a receipt, `taxable_paise` is simply the amount received.
    (Top-ups paid before receipts existed keep the tax invoice they were given.)"""

    class Kind(models.TextChoices):
        TAX_INVOICE = "tax_invoice", _("Tax invoice")
        RECEIPT = "receipt", _("Receipt")
        # An agency without a GSTIN is not registered: no tax, a bill of supply (Rule 49).
        BILL_OF_SUPPLY = "bill_of_supply", _("Bill of supply")
        # The fee refunded: cancels its invoice (Rule 53), its own series, `original` set.
        CREDIT_NOTE = "credit_note", _("Credit note")

    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.TAX_INVOICE)
    supplier = models.CharField(max_length=40)
    financial_year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40, unique=True)
    issued_at = models.DateTimeField()
    agency = models.ForeignKey(
        IssuingAgency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="tax_invoice"
    )
    top_up = models.OneToOneField(
        WalletTopUp, null=True, blank=True, on_delete=models.PROTECT, related_name="tax_invoice"
    )
    firm = models.ForeignKey("accounts.IECRecord", on_delete=models.PROTECT, related_name="+")
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    supplier_name = models.CharField(max_length=200)
    # Database defaults: the previous release inserts documents without these columns.
    supplier_address = models.TextField(blank=True, default="", db_default="")
    supplier_state = models.CharField(
        max_length=2, blank=True, default="", db_default="", help_text="GST state code."
    )
    supplier_gstin = models.CharField(max_length=15, blank=True)
    reverse_charge = models.BooleanField(default=False, db_default=False)
    recipient_state = models.CharField(
        max_length=2, blank=True, default="", db_default="", help_text="GST state code."
    )
    recipient_name = models.CharField(max_length=200)
    recipient_address = models.TextField(blank=True)
    recipient_iec = models.CharField(max_length=10)
    recipient_gstin = models.CharField(max_length=15, blank=True)
    place_of_supply = models.CharField(max_length=2, help_text="GST state code.")
    sac = models.CharField("SAC", max_length=8)
    description = models.CharField(max_length=200)
    rate_percent = models.DecimalField(max_digits=5, decimal_places=2)
    taxable_paise = models.BigIntegerField()
    cgst_paise = models.BigIntegerField(default=0)
    sgst_paise = models.BigIntegerField(default=0)
    igst_paise = models.BigIntegerField(default=0)
    total_paise = models.BigIntegerField()

    class Meta:
        ordering = ["-issued_at", "-id"]
        # The fees report reads today's tax invoices (applications/rollups.py).
        indexes = [models.Index(fields=["issued_at"], name="taxinvoice_issued")]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "financial_year", "sequence"], name="taxinvoice_series_unique"
            ),
            models.CheckConstraint(
                name="taxinvoice_adds_up",
                condition=models.Q(
                    total_paise=models.F("taxable_paise")
                    + models.F("cgst_paise")
                    + models.F("sgst_paise")
                    + models.F("igst_paise")
                ),
            ),
            models.CheckConstraint(
                name="taxinvoice_for_one_thing",
                condition=(
                    models.Q(payment__isnull=False, top_up__isnull=True)
                    | models.Q(payment__isnull=True, top_up__isnull=False)
                    | models.Q(
                        kind="credit_note",
                        original__isnull=False,
                        payment__isnull=True,
                        top_up__isnull=True,
                    )
                ),
            ),
            models.CheckConstraint(
                name="taxinvoice_receipt_is_for_a_top_up_without_tax",
                condition=~models.Q(kind="receipt")
                | models.Q(
                    top_up__isnull=False,
                    rate_percent=0,
                    cgst_paise=0,
                    sgst_paise=0,
                    igst_paise=0,
                    sac="",
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def collected_paise(self) -> int:
        """What the recipient paid the supplier: the total, less the tax the recipient pays
        the government itself under reverse charge."""
        if self.reverse_charge:
            return self.taxable_paise
        return self.total_paise


class PaymentNotice(models.Model):
    """One message the capture of a payment queued in the outbox (the receipt's email or SMS),
    with its masked address: the payment's return page says what went out from these rows,
    whichever route (the gateway's notification or the browser's return) applied the capture.
    """

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="notices")
    outbox = models.ForeignKey("durable.OutboxMessage", on_delete=models.CASCADE, related_name="+")
    who = models.CharField(max_length=200)
    user_ids = models.JSONField(default=list)
    channel = models.CharField(max_length=10)  # "email" or "sms"
    address = models.CharField(max_length=200)  # masked

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.channel} {self.address}"
