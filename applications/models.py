from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from core.models import TimeStampedModel

if TYPE_CHECKING:
    from .notifications import Sent

# Reference data lives in reference/ (the tables keep their applications_* names); the names
# stay importable from here for the modules of this app.
# (`X as X` marks each as re-exported for mypy.)
from reference.models import AgencyOffice as AgencyOffice
from reference.models import CertificateType as CertificateType
from reference.models import Fee as Fee
from reference.models import HSCode as HSCode
from reference.models import IssuingAgency as IssuingAgency
from reference.models import TradeAgreement as TradeAgreement

# ---------------------------------------------------------------------------------------------
# The application
# ---------------------------------------------------------------------------------------------


# Lengths of the free-text fields of an application, chosen for what a certificate's boxes
# hold (an A4 form with up to a page of goods): every such field has one, so that one
# application cannot carry megabytes of text into rendering and signing.
ADDRESS_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 1000
REMARKS_MAX_LENGTH = 1000


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    CLARIFICATION_REQUESTED = "clarification_requested", _("Clarification requested")
    APPROVED = "approved", _("Approved")
    ISSUED = "issued", _("Issued")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The statuses of a decided application: the officer queue's Decided tab and its indexes.
DECIDED_STATUSES = (Status.APPROVED, Status.ISSUED, Status.REJECTED)
# Waiting for an officer's decision: what the dashboard calls overdue after two working days.
OVERDUE_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW)


class CopyReason(models.TextChoices):
    """Why an exporter asks for a certified true copy (AIFTA OCP rule 17 and the like)."""

    LOST = "lost", "The original was lost"
    STOLEN = "stolen", "The original was stolen"
    DESTROYED = "destroyed", "The original was destroyed"


class TransportMode(models.TextChoices):
    SEA = "sea", _("Sea")
    AIR = "air", _("Air")
    ROAD = "road", _("Road")
    RAIL = "rail", _("Rail")
    MULTIMODAL = "multimodal", _("Multimodal")


class ReferenceCounter(models.Model):
    """One row per year; locked with select_for_update to hand out COO-YYYY-NNNNNN references."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Application(TimeStampedModel):
    reference = models.CharField(max_length=20, unique=True)
    # The firm (IEC holder) the application is for: whose members and authorised agents see
    # it (accounts.firms). `exporter` is the person who filed it: a member of the firm, or
    # the staff of `filed_by_agent` filing on the firm's behalf.
    firm = models.ForeignKey(
        "accounts.IECRecord", on_delete=models.PROTECT, related_name="applications"
    )
    exporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    filed_by_agent = models.ForeignKey(
        "accounts.Agent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.DRAFT)
    # Not stored: what the last workflow call on this instance queued to people
    # (applications.notifications.notify), for the page to tell exactly that.
    notified: Sent | None = None

    # Header
    certificate_type = models.CharField(max_length=20, choices=CertificateType.choices)
    agreement = models.ForeignKey(
        TradeAgreement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    destination_country = CountryField()
    agency = models.ForeignKey(IssuingAgency, on_delete=models.PROTECT, related_name="applications")
    office = models.ForeignKey(AgencyOffice, on_delete=models.PROTECT, related_name="applications")
    # Set when this application corrects an issued certificate (in-lieu replacement).
    replaces = models.ForeignKey(
        "certificates.Certificate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replacement_applications",
    )
    # Set when this application asks for a certified true copy of an issued certificate whose
    # original was lost, stolen or destroyed: the copy prints the original's particulars,
    # number and date, marked "CERTIFIED TRUE COPY"; the original stays valid.
    certified_copy_of = models.ForeignKey(
        "certificates.Certificate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certified_copy_applications",
    )
    copy_reason = models.CharField(
        max_length=12, choices=CopyReason.choices, blank=True, default="", db_default=""
    )
    # Why the exporter asked for the certificate in lieu (required then): shown to the officer
    # and on the timeline. Database default: the previous release inserts without it.
    in_lieu_reason = models.CharField(
        "reason for the certificate in lieu",
        max_length=1000,
        blank=True,
        default="",
        db_default="",
    )

    # Parties
    consignee_name = models.CharField(max_length=200, blank=True)
    consignee_address = models.CharField(max_length=ADDRESS_MAX_LENGTH, blank=True)
    consignee_country = CountryField(blank=True)
    third_party_invoicing = models.BooleanField(default=False)
    third_party_name = models.CharField(max_length=200, blank=True)
    third_party_address = models.CharField(max_length=ADDRESS_MAX_LENGTH, blank=True)
    third_party_country = CountryField(blank=True)
    # The third party's own invoice, printed where the form asks (Form AI's box 10).
    third_party_invoice_number = models.CharField(
        max_length=50, blank=True, default="", db_default=""
    )
    third_party_invoice_date = models.DateField(null=True, blank=True)
    # A back-to-back certificate for goods re-exported as they came (HBP 2.93(f)): the
    # foreign certificate of origin they arrived with, uploaded and printed on ours.
    # Database defaults: the previous release inserts applications without these columns.
    back_to_back = models.BooleanField(default=False, db_default=False)
    foreign_certificate_number = models.CharField(
        max_length=60, blank=True, default="", db_default=""
    )
    foreign_certificate_issuer = models.CharField(
        max_length=200, blank=True, default="", db_default=""
    )
    foreign_certificate_country = CountryField(blank=True, default="", db_default="")
    foreign_certificate_date = models.DateField(null=True, blank=True)

    # Transport
    transport_mode = models.CharField(max_length=20, choices=TransportMode.choices, blank=True)
    vessel_or_flight = models.CharField("vessel / flight / vehicle", max_length=100, blank=True)
    port_of_loading = models.CharField(max_length=100, blank=True)
    port_of_discharge = models.CharField(max_length=100, blank=True)
    departure_date = models.DateField(null=True, blank=True)

    remarks = models.CharField(max_length=REMARKS_MAX_LENGTH, blank=True)

    # The filer's own references (a broker's job number, the buyer's purchase order): shown to
    # the officer, searchable, given back by the filing API.
    client_reference = models.CharField(max_length=100, blank=True, default="", db_default="")
    purchase_order_number = models.CharField(max_length=100, blank=True, default="", db_default="")

    # Exporter's declaration
    declaration_name = models.CharField(max_length=200, blank=True)
    declaration_designation = models.CharField(max_length=100, blank=True)
    declaration_place = models.CharField(max_length=100, blank=True)
    declaration_date = models.DateField(null=True, blank=True)
    declaration_accepted = models.BooleanField(default=False)
    # The signatory (or agent's staff) who submitted it, named in the declaration, and in
    # what capacity they submitted it ("Signatory", "agent's staff, Kiran Logistics"): kept
    # as it was then, since a later change of role does not change who declared what.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_as = models.CharField(max_length=200, blank=True)
    # A preparer's "ready for signature": who asked the firm's signatories to declare, pay and
    # submit this draft, and when (shown on the signatories' list until it leaves DRAFT).
    signature_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signature_requested_at = models.DateTimeField(null=True, blank=True)

    # Workflow
    assigned_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_applications",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # Each list's filter and order has an index that serves it at a million rows, so a
        # page is an index range read, never a sort of the whole set (bench/queues.py).
        indexes = [
            # The filer's own reference, searched exactly (built concurrently: 0024).
            models.Index(fields=["client_reference"], name="app_client_reference"),
            # The firm's applications: all, or one status; most recently updated first.
            models.Index(fields=["firm", "-updated_at", "-id"], name="app_firm_updated"),
            models.Index(fields=["firm", "status", "-updated_at", "-id"], name="app_firm_status"),
            # The officer queue's open tabs, oldest first: one office, or all of the agency's.
            models.Index(
                fields=["agency", "office", "status", "submitted_at", "id"],
                name="app_office_queue",
            ),
            models.Index(
                fields=["agency", "status", "submitted_at", "id"], name="app_agency_queue"
            ),
            # The Decided tab (newest first) and the dashboard's 30-day window. The trailing
            # status and submitted_at let the dashboard count by status and take the median
            # from the index alone (an index-only scan; INCLUDE would do the same on
            # PostgreSQL but draws a warning on SQLite).
            models.Index(
                fields=["agency", "office", "-decided_at", "-id"],
                condition=models.Q(status__in=DECIDED_STATUSES),
                name="app_office_decided",
            ),
            models.Index(
                fields=["agency", "-decided_at", "-id", "status", "submitted_at"],
                condition=models.Q(status__in=DECIDED_STATUSES),
                name="app_agency_decided",
            ),
            # The dashboard's "waiting longer than 2 working days", oldest first.
            models.Index(
                fields=["agency", "submitted_at", "id"],
                condition=models.Q(status__in=OVERDUE_STATUSES),
                name="app_agency_overdue",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="application_status_valid",
                condition=models.Q(status__in=[s.value for s in Status]),
            ),
            models.CheckConstraint(
                name="application_preferential_has_agreement",
                condition=(
                    models.Q(certificate_type=CertificateType.NON_PREFERENTIAL, agreement=None)
                    | models.Q(
                        certificate_type=CertificateType.PREFERENTIAL, agreement__isnull=False
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def filed_by_text(self) -> str:
        """ "Filed by <agent> for <firm>" when an agent filed it; "" when the firm did."""
        if self.filed_by_agent_id is None:
            return ""
        agent = self.filed_by_agent
        assert agent is not None  # noqa: S101 - filed_by_agent_id is set
        return f"Filed by {agent.name} for {self.firm.firm_name}"

    @property
    def is_preferential(self) -> bool:
        return self.certificate_type == CertificateType.PREFERENTIAL


class Invoice(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="invoices")
    number = models.CharField(max_length=50)
    date = models.DateField()
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.number} ({self.date})"


hs8_validator = RegexValidator(r"^\d{8}$", "Enter an 8-digit ITC(HS) code, digits only.")


class LineItem(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    marks_and_numbers = models.CharField(max_length=200, blank=True)
    package_count = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    package_kind = models.CharField(max_length=50)
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH)
    hs_code = models.CharField("HS code", max_length=8, validators=[hs8_validator])
    origin_criterion = models.CharField(max_length=20, blank=True)
    criterion_percentage = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    unit = models.CharField(max_length=20)
    gross_weight_kg = models.DecimalField(max_digits=14, decimal_places=3)
    fob_value = models.DecimalField(max_digits=16, decimal_places=2)
    fob_currency = models.CharField(max_length=3, default="USD")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["application", "position"], name="lineitem_position"),
            models.CheckConstraint(
                name="lineitem_quantity_positive", condition=models.Q(quantity__gt=0)
            ),
            models.CheckConstraint(
                name="lineitem_weight_positive", condition=models.Q(gross_weight_kg__gt=0)
            ),
            models.CheckConstraint(
                name="lineitem_fob_positive", condition=models.Q(fob_value__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.hs_code} {self.description[:40]}"

    @property
    def criterion_display(self) -> str:
        if not self.origin_criterion:
            return ""
        if self.criterion_percentage is not None:
            pct = self.criterion_percentage.normalize()
            pct_text = f"{pct:f}" if pct == pct.to_integral() else str(pct)
            return f"{self.origin_criterion} {pct_text}%"
        return self.origin_criterion


class CostSheet(models.Model):
    """An item's cost sheet: what its regional value content and change of classification
    are worked out from (applications/worksheet.py). The FOB value is the item's."""

    class Method(models.TextChoices):
        DIRECT = "direct", _("Direct: (FOB - non-originating materials) / FOB")
        INDIRECT = (
            "indirect",
            "Indirect: (originating materials + labour + overhead + profit + other) / FOB",
        )

    item = models.OneToOneField(LineItem, on_delete=models.CASCADE, related_name="cost_sheet")
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.DIRECT)
    ex_works_value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    labour = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    overhead = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    profit = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    other_costs = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="costsheet_costs_not_negative",
                condition=models.Q(labour__gte=0)
                & models.Q(overhead__gte=0)
                & models.Q(profit__gte=0)
                & models.Q(other_costs__gte=0),
            )
        ]

    def __str__(self) -> str:
        return f"Cost sheet of {self.item}"


material_hs_validator = RegexValidator(
    r"^\d{6}(\d{2})?$", "Enter the material's HS code: 6 or 8 digits, digits only."
)


class CostSheetMaterial(models.Model):
    """One line of an item's bill of materials."""

    cost_sheet = models.ForeignKey(CostSheet, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveIntegerField()
    description = models.CharField(max_length=200)
    hs_code = models.CharField("HS code", max_length=8, validators=[material_hs_validator])
    origin_country = CountryField()
    value = models.DecimalField(max_digits=16, decimal_places=2)
    originating = models.BooleanField()
    # The document that proves its origin (a supplier's declaration, the supplier's own
    # certificate of origin): one of the application's documents.
    evidence = models.ForeignKey(
        "Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["cost_sheet", "position"], name="costsheetmaterial_position"
            ),
            models.CheckConstraint(
                name="costsheetmaterial_value_positive", condition=models.Q(value__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"


# The application's particulars after its type and destination: parties, third-party
# invoicing, back-to-back, transport and remarks. An application in lieu or copied starts with
# them (services.COPIED_FIELDS) and the declaration's canonical text lists them (declared.py).
PARTICULAR_FIELDS = (
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

# What the exporter fills in for a line item, in form and CSV-column order.
LINE_ITEM_FIELDS = (
    "marks_and_numbers",
    "package_count",
    "package_kind",
    "description",
    "hs_code",
    "origin_criterion",
    "criterion_percentage",
    "quantity",
    "unit",
    "gross_weight_kg",
    "fob_value",
    "fob_currency",
)


class DocumentKind(models.TextChoices):
    COMMERCIAL_INVOICE = "commercial_invoice", _("Commercial invoice")
    PACKING_LIST = "packing_list", _("Packing list")
    BILL_OF_LADING = "bill_of_lading", _("Bill of lading / airway bill")
    FOREIGN_CERTIFICATE = "foreign_certificate", _("Foreign certificate of origin (re-export)")
    OTHER = "other", _("Other")


REQUIRED_DOCUMENTS = (DocumentKind.COMMERCIAL_INVOICE, DocumentKind.PACKING_LIST)


def document_upload_to(instance: Document, filename: str) -> str:
    # The stored name never uses the uploader's file name.
    return f"documents/{instance.application.reference}/{instance.sha256}"


class Document(TimeStampedModel):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    file = models.FileField(upload_to=document_upload_to, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["kind", "created_at"]
        indexes = [
            # The review page's risk check: the same bill of lading file on another application.
            models.Index(
                fields=["sha256"],
                condition=models.Q(kind="bill_of_lading"),
                name="document_bill_of_lading_sha",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="document_content_type_allowed",
                condition=models.Q(content_type__in=["application/pdf", "image/jpeg", "image/png"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"

    @property
    def content_label(self) -> str:
        """What the content is (found by reading it at upload), in words."""
        return DOCUMENT_CONTENT_LABELS.get(self.content_type, self.content_type)


def upload_check_to(instance: UploadCheck, filename: str) -> str:
    # Kept apart from documents until checked; never under the uploader's file name.
    return f"uploads-checking/{instance.application.reference}/{instance.token}"


class UploadCheck(TimeStampedModel):
    """A supporting document received and waiting for its content check, which runs off the
    web threads (the upload-check task, on a worker; in-process on the embedded default). The
    file becomes a Document, usable by anyone, only if the check passes
    (services.upload_check_run); until then nobody but the uploader's page sees it."""

    class State(models.TextChoices):
        CHECKING = "checking", "Checking"
        ACCEPTED = "accepted", "Accepted"
        REFUSED = "refused", "Refused"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="upload_checks"
    )
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    token = models.CharField(max_length=32, unique=True)  # the staged file's name
    file = models.FileField(upload_to=upload_check_to, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)  # sniffed from the first bytes
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.CHECKING)
    message = models.TextField(blank=True)  # why it was refused, as the page says it
    document = models.ForeignKey(
        "Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    told_at = models.DateTimeField(null=True, blank=True)  # the result shown to the uploader

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="uploadcheck_state_valid",
                condition=models.Q(state__in=["checking", "accepted", "refused"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_state_display()})"


DOCUMENT_CONTENT_LABELS = {
    "application/pdf": "PDF document",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
}


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


class ApplicationEvent(models.Model):
    """The append-only audit trail: every status change and every message."""

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("Status change")
        MESSAGE = "message", _("Message")
        ASSIGNMENT = "assignment", _("Assignment")
        PAYMENT = "payment", _("Payment")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TRANSITION)
    from_status = models.CharField(max_length=30, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=30, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    # Done through the filing API (api/) with the actor's token, not on the portal's pages.
    via_api = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} -> {self.to_status}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("Application events are append-only.")
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        """What the timeline calls this event: what happened, never a generic "Message"
        for a revocation or a status name for a release."""
        if self.kind == self.Kind.TRANSITION:
            special: dict[tuple[str, str], str] = {
                (Status.UNDER_REVIEW, Status.SUBMITTED): "Released to the queue",
                (Status.CLARIFICATION_REQUESTED, Status.SUBMITTED): "Resubmitted with a reply",
                (Status.SUBMITTED, Status.UNDER_REVIEW): "Review started",
            }
            return special.get((self.from_status, self.to_status), self.get_to_status_display())
        if self.kind == self.Kind.PAYMENT:
            return "Fee paid"
        if self.kind == self.Kind.ASSIGNMENT:
            return "Assigned"
        if self.to_status == Status.DRAFT:
            return "Started"
        # Certificate events are written as messages by certificates.services, whose notes
        # start with the certificate's number and say what happened to it.
        if self.note.startswith("Certificate ") and " revoked: " in self.note:
            return "Certificate revoked"
        if self.note.startswith("Certificate ") and " superseded by " in self.note:
            return "Certificate superseded"
        if self.note.startswith("Requested in lieu of certificate"):
            return "Correction requested"
        if self.note.startswith("Ready for signature"):
            return "Ready for signature"
        return "Message"


class ApplicationSnapshot(models.Model):
    """What the application said when an officer asked for clarification (written with the
    clarification event), so the officer's page can list what the exporter changed since
    (applications/snapshots.py). Append-only like the events it belongs to."""

    event = models.OneToOneField(
        ApplicationEvent, on_delete=models.PROTECT, related_name="snapshot"
    )
    data = models.JSONField()

    def __str__(self) -> str:
        return f"snapshot of event {self.event_id}"


class DeclarationSignature(models.Model):
    """The exporter's declaration, signed: who signed, in what capacity and for whom, when,
    how (a one-time code sent to their verified mobile, or an eSign service provider), and the
    SHA-256 of exactly what was declared (applications/declaration.py's canonical text).

    A row is written when the code is sent (`signed_at` empty) and completed when the right
    code comes back; a newer row replaces an unfinished one. A signature counts only while the
    application's canonical text still has its hash: any change after signing asks for a new
    signature. Append-only evidence: rows are never edited once signed, nor deleted."""

    class Method(models.TextChoices):
        SMS_OTP = "sms_otp", "One-time code by SMS"
        ESIGN = "esign", "eSign service provider"

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="declaration_signatures"
    )
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # As they were when signing: a later change of name or role does not change who signed.
    signer_name = models.CharField(max_length=200)
    capacity = models.CharField(max_length=300)  # "signatory of Shakti Spices LLP"
    on_behalf_of = models.CharField(max_length=200)  # the firm (the IEC holder)
    method = models.CharField(max_length=10, choices=Method.choices)
    mobile = models.CharField(max_length=13, blank=True)  # where the code went
    code_sent_at = models.DateTimeField()
    # The delivery record: the outbox row (durable.OutboxMessage) that carried the SMS.
    # Kept as a number, not a key: sent rows are forgotten after OUTBOX_KEEP_DAYS.
    delivery_outbox_id = models.BigIntegerField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64)
    content = models.TextField()  # the canonical text that was hashed, for anyone to re-hash
    signed_at = models.DateTimeField(null=True, blank=True)
    # The ESP's answer (its response code and the signed CMS, base64), for the eSign route.
    esp_response = models.TextField(blank=True, default="", db_default="")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="declaration_signature_method_valid",
                condition=models.Q(method__in=["sms_otp", "esign"]),
            ),
        ]

    def __str__(self) -> str:
        state = "signed" if self.signed_at else "code sent"
        return f"declaration of {self.application_id} by {self.signer_name} ({state})"


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
