from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from core.models import TimeStampedModel
from reference.models import AgencyOffice, CertificateType, IssuingAgency, TradeAgreement

if TYPE_CHECKING:
    from ..notifications import Sent


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
            # A firm's search for a reference from its start (built concurrently: 0034).
            models.Index(
                fields=["firm", "reference"],
                opclasses=["", "varchar_pattern_ops"],
                name="app_firm_reference_start",
            ),
            # Drafts a preparer has said are ready ("Ready for your signature"): a few rows of
            # the firm, not all its drafts (built concurrently: 0033).
            models.Index(
                fields=["firm", "signature_requested_at"],
                condition=models.Q(signature_requested_at__isnull=False),
                name="app_firm_signature_asked",
            ),
            # The officer queue's open tabs, oldest first: one office, or all of the agency's.
            models.Index(
                fields=["agency", "office", "status", "submitted_at", "id"],
                name="app_office_queue",
            ),
            models.Index(
                fields=["agency", "status", "submitted_at", "id"], name="app_agency_queue"
            ),
            # The officers' search for a reference from its start ("COO-2026-00"), tab by tab,
            # office checked in the index (built concurrently: 0033).
            models.Index(
                fields=["agency", "status", "reference", "office"],
                opclasses=["", "", "varchar_pattern_ops", ""],
                name="app_agency_status_reference",
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
            # The "received" report reads today's first submissions of an agency.
            models.Index(fields=["agency", "first_submitted_at"], name="app_agency_received"),
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

    @property
    def is_self_declared(self) -> bool:
        """The exporter's own statement on origin (India-EFTA TEPA's self-declared certificate
        of origin): made by the firm's signatory, certified by no agency, reviewed by no
        officer (reference.services.self_declaration_route_ensure)."""
        return self.agency.self_declaration


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


# The application's particulars after its type and destination: the parties section's
# (parties, third-party invoicing, back-to-back), the transport section's, and remarks. An
# application in lieu or copied starts with them (services.COPIED_FIELDS) and the
# declaration's canonical text lists them (declared.py).
PARTY_FIELDS = (
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
)
TRANSPORT_FIELDS = (
    "transport_mode",
    "vessel_or_flight",
    "port_of_loading",
    "port_of_discharge",
    "departure_date",
)
PARTICULAR_FIELDS = (*PARTY_FIELDS, *TRANSPORT_FIELDS, "remarks")

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
