"""What a certificate says: the data the renderer prints (made by certificates.services
from an issued application, by the tests from samples)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

# ---------------------------------------------------------------------------------------------
# What a certificate says
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exporter:
    name: str
    address: str
    iec: str
    email: str = ""  # printed where the form asks for them (India-Korea's box 1)
    telephone: str = ""
    fax: str = ""


@dataclass(frozen=True)
class Consignee:
    name: str
    address: str
    country: str


@dataclass(frozen=True)
class Transport:
    mode: str
    vessel: str
    port_of_loading: str
    port_of_discharge: str
    departure_date: date | None


@dataclass(frozen=True)
class Declaration:
    name: str
    designation: str
    place: str
    date: date
    # Who declared, in what capacity, for whom and how it was signed ("Signed electronically
    # by Kiran Rao, Kiran Logistics, customs broker, on behalf of ..."): applications.declared.
    signed: str = ""


@dataclass(frozen=True)
class CertificateItem:
    position: int
    marks: str
    package_count: int
    package_kind: str
    description: str
    hs_code: str
    criterion_display: str
    quantity_text: str
    gross_weight_text: str
    invoice_text: str
    fob_text: str = ""  # "USD 12,500.00"


@dataclass(frozen=True)
class CertificateData:
    number: str
    verification_code: str
    verify_url: str
    certificate_type: str  # "non_preferential" or "preferential"
    title: str  # "Certificate of Origin (Non-Preferential)" or the agreement's form title
    agreement_name: str  # empty for non-preferential certificates
    exporter: Exporter
    consignee: Consignee
    transport: Transport
    destination_country: str
    items: Sequence[CertificateItem]
    declaration: Declaration
    agency_name: str
    office_name: str
    office_city: str
    officer_name: str
    officer_designation: str
    issue_date: date
    third_party_invoicing: str = ""
    remarks: str = ""
    in_lieu_of: str = ""
    # A certified true copy of a lost, stolen or destroyed certificate: "No. X issued on D".
    certified_copy_of: str = ""
    agreement_code: str = ""  # "AIFTA"; chooses the layout
    issued_at: datetime | None = None  # the PDF's creation date, printed in India's time
    # Box 13 of Form AI.
    issued_retroactively: bool = False
    exhibition: bool = False
    movement_certificate: bool = False
    # Each agreement's own form (reference/certificate_forms.py).
    producer: str = ""  # India-Korea's box 2
    third_party_invoice: str = ""  # the third-country company's invoice: number and date
    # A back-to-back certificate (re-export): the foreign certificate it rests on, and the
    # origin that one certifies (printed as the country of origin instead of India).
    foreign_certificate: str = ""  # "No. X, issued by Y, Viet Nam, on 02 Mar 2026"
    origin_country: str = "INDIA"
    # The form to draw when it is not the agreement's certificate (reference.certificate_forms:
    # "IETEPA-SD", the exporter's self-declaration, which no agency certifies).
    form_key: str = ""
    self_declaration: bool = False

    @property
    def is_preferential(self) -> bool:
        return self.certificate_type == "preferential"
