"""Reference data: trade agreements, issuing agencies and offices, HS codes, fees.

Read by every other app; imports nothing of ours. The tables were made under applications/
and keep their names (see migrations/0001_initial.py: the move touched no row).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .gst import STATE_CHOICES

# ---------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------


class CertificateType(models.TextChoices):
    NON_PREFERENTIAL = "non_preferential", _("Non-preferential")
    PREFERENTIAL = "preferential", _("Preferential")


class TradeAgreement(models.Model):
    """A preferential trade agreement: its partners, its form's title and its origin criteria."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    form_title = models.CharField(max_length=200, help_text="Printed as the certificate's title.")
    partner_countries = CountryField(multiple=True, blank=True)
    # Criterion codes this agreement's certificates may print, e.g. ["WO", "RVC", "CTSH", ...].
    origin_criteria = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    # One certificate covers one import only (India-UAE CEPA): importing customs may record a
    # single utilisation (verification/utilisation.py); otherwise several, up to the quantity.
    single_import = models.BooleanField(default=False, db_default=False)

    class Meta:
        db_table = "applications_tradeagreement"  # the table made before the move to reference/
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class InLieuFee(models.TextChoices):
    """What an agency charges for a certificate issued in lieu of one of its own."""

    NONE = "none", "No fee"
    REDUCED = "reduced", "A reduced fee (a percentage of the fee)"
    FULL = "full", "The full fee"


class IssuingAgency(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    agreements = models.ManyToManyField(TradeAgreement, blank=True, related_name="agencies")
    issues_non_preferential = models.BooleanField(default=True)
    # Not an agency: the route for the exporter's own statement on origin (India-EFTA TEPA's
    # self-declared certificate of origin). Its applications go to no officer; the portal
    # numbers, signs (with this row's key) and registers the statement so that it can be
    # verified like a certificate, marked as certified by no agency (certificates.services).
    self_declaration = models.BooleanField(
        "exporter's self-declaration (no agency certifies)",
        default=False,
        db_default=False,
    )
    # The agency's GST registration: printed as the supplier's GSTIN on its fee invoices, and
    # its first two digits (the state code) decide CGST+SGST or IGST (applications/tax.py).
    gstin = models.CharField("GSTIN", max_length=15, blank=True)
    # The fee for a certificate in lieu (a correction of one it issued): its own policy,
    # told to the exporter before payment (applications.selectors.fee_for). Database defaults:
    # the previous release inserts agencies without these columns.
    in_lieu_fee = models.CharField(
        "fee for a certificate in lieu",
        max_length=10,
        choices=InLieuFee.choices,
        default=InLieuFee.FULL,
        db_default=InLieuFee.FULL,
    )
    in_lieu_fee_percent = models.PositiveSmallIntegerField(
        "reduced fee, per cent of the fee",
        default=50,
        db_default=50,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="Used when the fee for a certificate in lieu is a reduced fee.",
    )

    class Meta:
        db_table = "applications_issuingagency"  # the table made before the move to reference/
        ordering = ["name"]
        verbose_name_plural = "issuing agencies"
        constraints = [
            models.CheckConstraint(
                name="agency_in_lieu_fee_valid",
                condition=models.Q(in_lieu_fee__in=["none", "reduced", "full"]),
            ),
            models.CheckConstraint(
                name="agency_in_lieu_fee_percent_range",
                condition=models.Q(in_lieu_fee_percent__gte=1, in_lieu_fee_percent__lte=99),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AgencyTaxProfile(models.Model):
    """Who the agency is on its GST documents (CGST Rule 46): its legal name, address, state
    and GSTIN, the SAC of its fee, whether its exporters pay the tax under reverse charge
    (services of Government to a business, Notification 13/2017-CT(R)), and whether it must
    e-invoice. Without a GSTIN the agency is not registered: it issues a bill of supply
    without tax, never a tax invoice. Changed by platform staff only, each change recorded
    (AgencyTaxProfileChange, written by reference.services.agency_tax_profile_save)."""

    agency = models.OneToOneField(
        IssuingAgency, on_delete=models.PROTECT, related_name="tax_profile"
    )
    legal_name = models.CharField(max_length=200)
    address = models.TextField()
    state_code = models.CharField("state", max_length=2, choices=STATE_CHOICES)
    gstin = models.CharField("GSTIN", max_length=15, blank=True)
    sac = models.CharField(
        "SAC of the fee",
        max_length=6,
        default="998399",
        help_text="998399: other professional, technical and business services n.e.c. (a "
        "chamber's certificate of origin); 999113 for a government department's fee.",
    )
    reverse_charge = models.BooleanField(
        "recipient pays the tax (reverse charge)",
        default=False,
        help_text="Yes for services of Government or a local authority to a registered "
        "business (Notification 13/2017-Central Tax (Rate), entry 5).",
    )
    e_invoicing = models.BooleanField(
        "e-invoicing applies",
        default=False,
        help_text="The IRN is not obtained by this portal yet: see docs/payments.md.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="agencytaxprofile_gstin_in_its_state",
                condition=models.Q(gstin="") | models.Q(gstin__startswith=models.F("state_code")),
            ),
        ]

    def __str__(self) -> str:
        return f"Tax profile of {self.agency.code}"


class AgencyTaxProfileChange(models.Model):
    """One change of a tax profile: who, when, and every field's value before and after."""

    profile = models.ForeignKey(AgencyTaxProfile, on_delete=models.PROTECT, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(default=dict)  # {"field": [before, after]}

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.profile} changed at {self.changed_at:%Y-%m-%d %H:%M}"


class AgencyOffice(models.Model):
    agency = models.ForeignKey(IssuingAgency, on_delete=models.PROTECT, related_name="offices")
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=200)
    city = models.CharField(max_length=100)

    class Meta:
        db_table = "applications_agencyoffice"  # the table made before the move to reference/
        ordering = ["agency__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="agencyoffice_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.agency.code}/{self.code} {self.name}"


class HSCode(models.Model):
    """An HS 2022 chapter (2 digits), heading (4) or subheading (6)."""

    code = models.CharField(max_length=6, primary_key=True)
    description = models.TextField()
    parent = models.CharField(max_length=6, blank=True)
    level = models.PositiveSmallIntegerField()
    section = models.CharField(max_length=5, blank=True)

    class Meta:
        db_table = "applications_hscode"  # the table made before the move to reference/
        ordering = ["code"]
        verbose_name = "HS code"

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class Fee(models.Model):
    """The fee schedule. The amount charged is always computed on the server from here."""

    certificate_type = models.CharField(max_length=20, choices=CertificateType.choices)
    agreement = models.ForeignKey(
        TradeAgreement, null=True, blank=True, on_delete=models.PROTECT, related_name="fees"
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="INR")
    valid_from = models.DateField()

    class Meta:
        db_table = "applications_fee"  # the table made before the move to reference/
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(name="fee_amount_positive", condition=models.Q(amount__gt=0)),
            models.UniqueConstraint(
                fields=["certificate_type", "agreement", "valid_from"], name="fee_unique_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_certificate_type_display()} {self.agreement or ''} {self.amount}"
