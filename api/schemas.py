"""The API's request and response bodies (pydantic, through django-ninja).

Only shapes and types live here: every rule about a field's content is the portal's own form
(applications/forms.py), bound with the request's values by the endpoints.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import Field

Text = Annotated[str, Field(max_length=1000)]
Short = Annotated[str, Field(max_length=200)]


class Parties(Schema):
    consignee_name: Short = ""
    consignee_address: Text = ""
    consignee_country: Annotated[str, Field(max_length=2)] = ""
    third_party_invoicing: bool = False
    third_party_name: Short = ""
    third_party_address: Text = ""
    third_party_country: Annotated[str, Field(max_length=2)] = ""


class Transport(Schema):
    transport_mode: Annotated[str, Field(max_length=20)] = ""
    vessel_or_flight: Short = ""
    port_of_loading: Short = ""
    port_of_discharge: Short = ""
    departure_date: date | None = None


class Declaration(Schema):
    declaration_name: Short = ""
    declaration_designation: Short = ""
    declaration_place: Short = ""
    declaration_date: date | None = None
    declaration_accepted: bool = False


class InvoiceIn(Schema):
    number: Annotated[str, Field(max_length=50)]
    date: date
    currency: Annotated[str, Field(max_length=3)] = "USD"


class LineItemIn(Schema):
    marks_and_numbers: Short = ""
    package_count: Annotated[int, Field(ge=0, le=10**9)]
    package_kind: Annotated[str, Field(max_length=50)]
    description: Text
    hs_code: Annotated[str, Field(max_length=20)]
    origin_criterion: Annotated[str, Field(max_length=20)] = ""
    criterion_percentage: Decimal | None = None
    quantity: Decimal
    unit: Annotated[str, Field(max_length=20)]
    gross_weight_kg: Decimal
    fob_value: Decimal
    fob_currency: Annotated[str, Field(max_length=3)] = "USD"


class References(Schema):
    client_reference: Annotated[str, Field(max_length=100)] = ""
    purchase_order_number: Annotated[str, Field(max_length=100)] = ""


class ApplicationUpdate(Schema):
    """Any part may be left out; invoices and goods, when given, replace the lists."""

    client_reference: Annotated[str, Field(max_length=100)] | None = None
    purchase_order_number: Annotated[str, Field(max_length=100)] | None = None
    parties: Parties | None = None
    transport: Transport | None = None
    remarks: Annotated[str, Field(max_length=1000)] | None = None
    declaration: Declaration | None = None
    invoices: Annotated[list[InvoiceIn], Field(max_length=50)] | None = None
    goods: Annotated[list[LineItemIn], Field(max_length=500)] | None = None


class ApplicationCreate(ApplicationUpdate):
    iec: Annotated[str, Field(max_length=10)] | None = Field(
        None, description="The firm filed for; needed when you act for more than one."
    )
    certificate_type: Annotated[str, Field(max_length=20)] = Field(
        description="non_preferential or preferential"
    )
    agreement: Annotated[str, Field(max_length=20)] | None = Field(
        None, description="The trade agreement's code (preferential only), such as AIFTA."
    )
    destination_country: Annotated[str, Field(max_length=2)]
    office: Annotated[str, Field(max_length=41)] = Field(
        description="Issuing agency and office as AGENCY/OFFICE codes, such as EIC/MUM."
    )


class Invoice(Schema):
    number: str
    date: date
    currency: str


class LineItem(Schema):
    id: int
    position: int
    description: str
    hs_code: str
    origin_criterion: str
    criterion_percentage: Decimal | None
    quantity: Decimal
    unit: str
    package_count: int
    package_kind: str
    gross_weight_kg: Decimal
    fob_value: Decimal
    fob_currency: str


class Document(Schema):
    id: int
    kind: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class UploadCheck(Schema):
    """A document received and being checked off the web threads: poll `status_url` until
    `state` is "accepted" (then `document` is the application's document) or "refused" (then
    `message` says why; nothing of the application changed)."""

    id: int
    kind: str
    original_name: str
    state: str  # "checking", "accepted" or "refused"
    message: str
    document: Document | None
    status_url: str


class Event(Schema):
    label: str
    from_status: str
    to_status: str
    actor: str
    via_api: bool
    note: str
    at: datetime


class ApplicationSummary(Schema):
    reference: str
    status: str
    iec: str
    client_reference: str
    purchase_order_number: str
    certificate_type: str
    agreement: str | None
    destination_country: str
    office: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None


class ApplicationDetail(ApplicationSummary):
    parties: Parties
    transport: Transport
    remarks: str
    declaration: Declaration
    invoices: list[Invoice]
    goods: list[LineItem]
    documents: list[Document]
    fee_paid: bool
    certificate_number: str | None
    timeline: list[Event]


class Page(Schema):
    items: list[ApplicationSummary]
    next_cursor: str | None


class Validation(Schema):
    ready: bool
    problems: list[str]


class Fee(Schema):
    amount: Decimal | None
    currency: str | None
    paid: bool
    paid_by: str | None
    tax_invoice_number: str | None


class CardPayment(Schema):
    order_id: str
    amount: Decimal
    currency: str
    checkout_url: str


class Clarification(Schema):
    requested: bool
    message: str
    requested_at: datetime | None


class Reply(Schema):
    reply: Annotated[str, Field(max_length=4000)]


class SigningCode(Schema):
    """A code sent to sign the declaration: where it went, and what it signs."""

    sent_to: str  # "+91 ******1234"
    sha256: str  # of the application's canonical text (docs/esign.md)
    expires_in_seconds: int


class SigningAnswer(Schema):
    code: Annotated[str, Field(min_length=6, max_length=6)]


class DeclarationSigned(Schema):
    signed: str  # "Signed electronically by ..., with a code sent to +91 ******1234 on ..."
    sha256: str
    signed_at: datetime


class VerificationRequest(Schema):
    """A verification request of the token's customs authority, and the agency's finding."""

    id: int
    reference: str
    certificate_number: str
    agency: str
    your_reference: str
    reasons: list[str]
    questions: str
    status: str = Field(description="filed, assigned, answered (evidence received) or decided")
    filed_at: datetime
    due_at: datetime
    finding: str | None = Field(description="confirmed, not_confirmed or partly, once decided")
    finding_reasons: str | None
    decided_at: datetime | None
