"""The applications app's models, one module per part: the application and its goods,
its documents, its audit trail, its fees (payments, wallet, tax invoices). Every name stays
importable from `applications.models`."""

# Reference data lives in reference/ (the tables keep their applications_* names); the names
# stay importable from here for the modules of this app. (`X as X` marks a re-export for mypy.)
from reference.models import AgencyOffice as AgencyOffice
from reference.models import CertificateType as CertificateType
from reference.models import Fee as Fee
from reference.models import HSCode as HSCode
from reference.models import IssuingAgency as IssuingAgency
from reference.models import TradeAgreement as TradeAgreement

from .application import ADDRESS_MAX_LENGTH as ADDRESS_MAX_LENGTH
from .application import DECIDED_STATUSES as DECIDED_STATUSES
from .application import DESCRIPTION_MAX_LENGTH as DESCRIPTION_MAX_LENGTH
from .application import LINE_ITEM_FIELDS as LINE_ITEM_FIELDS
from .application import OVERDUE_STATUSES as OVERDUE_STATUSES
from .application import PARTICULAR_FIELDS as PARTICULAR_FIELDS
from .application import PARTY_FIELDS as PARTY_FIELDS
from .application import REMARKS_MAX_LENGTH as REMARKS_MAX_LENGTH
from .application import TRANSPORT_FIELDS as TRANSPORT_FIELDS
from .application import Application as Application
from .application import CopyReason as CopyReason
from .application import CostSheet as CostSheet
from .application import CostSheetMaterial as CostSheetMaterial
from .application import Invoice as Invoice
from .application import LineItem as LineItem
from .application import ReferenceCounter as ReferenceCounter
from .application import Status as Status
from .application import TransportMode as TransportMode
from .application import hs8_validator as hs8_validator
from .application import material_hs_validator as material_hs_validator
from .documents import DOCUMENT_CONTENT_LABELS as DOCUMENT_CONTENT_LABELS
from .documents import REQUIRED_DOCUMENTS as REQUIRED_DOCUMENTS
from .documents import Document as Document
from .documents import DocumentKind as DocumentKind
from .documents import UploadCheck as UploadCheck
from .documents import document_upload_to as document_upload_to
from .documents import upload_check_to as upload_check_to
from .events import ApplicationEvent as ApplicationEvent
from .events import ApplicationSnapshot as ApplicationSnapshot
from .events import DeclarationSignature as DeclarationSignature
from .fees import Payment as Payment
from .fees import PaymentEvent as PaymentEvent
from .fees import PaymentNotice as PaymentNotice
from .fees import PaymentRefund as PaymentRefund
from .fees import TaxInvoice as TaxInvoice
from .fees import TaxInvoiceCounter as TaxInvoiceCounter
from .fees import Wallet as Wallet
from .fees import WalletEntry as WalletEntry
from .fees import WalletTopUp as WalletTopUp
from .fees import WalletTopUpEvent as WalletTopUpEvent
from .rollups import DecisionDay as DecisionDay
from .rollups import FeeDay as FeeDay
from .rollups import ReviewDay as ReviewDay
