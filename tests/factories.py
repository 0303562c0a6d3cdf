"""factory-boy factories for the whole project. Tests use the personas in conftest first."""

from __future__ import annotations

import hashlib

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import ExporterProfile, FirmMember, IECRecord, OfficerProfile
from applications.models import AgencyOffice, IssuingAgency

DEFAULT_PASSWORD = "correct horse battery staple"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssuingAgency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"AG{n}")
    name = factory.LazyAttribute(lambda o: f"Agency {o.code}")


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyOffice
        django_get_or_create = ("agency", "code")

    agency = factory.SubFactory(AgencyFactory)
    code = factory.Sequence(lambda n: f"O{n}")
    name = factory.LazyAttribute(lambda o: f"Office {o.code}")
    city = "Mumbai"


class IECRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IECRecord
        django_get_or_create = ("iec",)

    iec = factory.Sequence(lambda n: f"{1000000000 + n}")
    firm_name = factory.Sequence(lambda n: f"Firm {n} Pvt Ltd")
    address = "12 Marine Drive, Mumbai 400002"
    pan = factory.Sequence(lambda n: f"AAAPL{n % 10000:04d}C")
    email = factory.LazyAttribute(lambda o: f"exports-{o.iec.lower()}@example.com")
    mobile = factory.Sequence(lambda n: f"+9198{n % 100000000:08d}")
    status = IECRecord.Status.ACTIVE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username.lower()}@example.com")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy's signature
        if create:
            obj.save()


class ExporterFactory(UserFactory):
    role = "exporter"
    username = factory.Sequence(lambda n: f"{2000000000 + n}")
    exporter_profile = factory.RelatedFactory(
        "tests.factories.ExporterProfileFactory", factory_related_name="user"
    )


class ExporterProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExporterProfile
        # The post-generation hook writes another row, never the profile: no second save.
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    iec_record = factory.SubFactory(IECRecordFactory, iec=factory.SelfAttribute("..user.username"))
    email_verified_at = factory.LazyFunction(timezone.now)
    mobile_verified_at = factory.SelfAttribute("email_verified_at")
    registration_completed_at = factory.SelfAttribute("email_verified_at")

    # The registrant is the firm's first administrator (accounts.services.registration_complete).
    @factory.post_generation
    def membership(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy's signature
        if create and obj.registration_completed_at is not None:
            FirmMember.objects.get_or_create(
                user=obj.user, defaults={"firm": obj.iec_record, "role": "administrator"}
            )


class FirmMemberFactory(factory.django.DjangoModelFactory):
    """A member of a firm: `FirmMemberFactory(firm=record, role="preparer")` makes the person
    too (an exporter-role user with a username of their own)."""

    class Meta:
        model = FirmMember

    firm = factory.SubFactory(IECRecordFactory)
    user = factory.SubFactory(
        "tests.factories.UserFactory",
        role="exporter",
        username=factory.Sequence(lambda n: f"member{n}"),
    )
    role = "administrator"


class OfficerFactory(UserFactory):
    role = "officer"
    officer_profile = factory.RelatedFactory(
        "tests.factories.OfficerProfileFactory", factory_related_name="user"
    )


class OfficerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfficerProfile

    user = factory.SubFactory(UserFactory)
    office = factory.SubFactory(OfficeFactory)
    agency = factory.SelfAttribute("office.agency")
    designation = "Certifying Officer"


# ---------------------------------------------------------------------------------------------
# Applications (appended by the applications issue)
# ---------------------------------------------------------------------------------------------


class TradeAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reference.TradeAgreement"
        django_get_or_create = ("code",)

    code = "AIFTA"
    name = "ASEAN-India Free Trade Area"
    form_title = "Form AI"
    partner_countries = ["BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"]
    origin_criteria = ["WO", "RVC", "CTSH", "RVC+CTSH"]


class HSCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reference.HSCode"
        django_get_or_create = ("code",)

    code = "610910"
    description = "T-shirts, singlets and other vests; of cotton, knitted or crocheted"
    parent = factory.LazyAttribute(lambda o: o.code[:4])
    level = 6
    section = "XI"


class FeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reference.Fee"

    certificate_type = "non_preferential"
    amount = "200.00"
    currency = "INR"
    valid_from = factory.LazyFunction(lambda: timezone.localdate().replace(year=2024))


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft. `ApplicationFactory(complete=True)` fills every section (not documents or
    payment: see `CompleteApplicationFactory`)."""

    class Meta:
        model = "applications.Application"

    class Params:
        complete = factory.Trait(
            consignee_name="PT Nusantara Garments",
            consignee_address="Jl. Sudirman 1, Jakarta",
            consignee_country="ID",
            transport_mode="sea",
            vessel_or_flight="MV Kota Ratu V.12",
            port_of_loading="Nhava Sheva",
            port_of_discharge="Tanjung Priok",
            departure_date=factory.LazyFunction(timezone.localdate),
            declaration_name="Alice Shah",
            declaration_designation="Director",
            declaration_place="Mumbai",
            declaration_date=factory.LazyFunction(timezone.localdate),
            declaration_accepted=True,
        )

    reference = factory.Sequence(lambda n: f"COO-2026-{900000 + n:06d}")
    exporter = factory.SubFactory(ExporterFactory)
    # The filer's firm; set `firm=` as well for a member or an agent filing for a firm.
    firm = factory.LazyAttribute(lambda o: o.exporter.exporter_profile.iec_record)
    certificate_type = "non_preferential"
    agreement = None
    destination_country = "AE"
    office = factory.SubFactory(OfficeFactory)
    agency = factory.SelfAttribute("office.agency")


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "applications.Invoice"

    application = factory.SubFactory(ApplicationFactory)
    number = factory.Sequence(lambda n: f"INV/2026/{n:04d}")
    date = factory.LazyFunction(timezone.localdate)
    currency = "USD"


class LineItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "applications.LineItem"

    application = factory.SubFactory(ApplicationFactory)
    position = factory.Sequence(lambda n: n + 1)
    marks_and_numbers = "AE/1-10"
    package_count = 10
    package_kind = "cartons"
    description = "Cotton T-shirts, knitted"
    hs_code = "61091000"
    origin_criterion = ""
    quantity = "500"
    unit = "pcs"
    gross_weight_kg = "120.500"
    fob_value = "2500.00"
    fob_currency = "USD"


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "applications.Document"

    application = factory.SubFactory(ApplicationFactory)
    kind = "commercial_invoice"
    file = factory.django.FileField(filename="invoice.pdf", data=b"%PDF-1.4 test")
    original_name = "invoice.pdf"
    content_type = "application/pdf"
    size = 13
    # The stored bytes' own hash: every read checks it.
    sha256 = hashlib.sha256(b"%PDF-1.4 test").hexdigest()
    uploaded_by = factory.SelfAttribute("application.exporter")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "applications.Payment"

    application = factory.SubFactory(ApplicationFactory)
    order_id = factory.Sequence(lambda n: f"ORD-TEST{n:08d}")
    amount = "200.00"
    currency = "INR"
    gateway = "sandbox"
    state = "captured"
    gateway_reference = factory.Sequence(lambda n: f"SBXTEST{n:06d}")
    captured_at = factory.LazyFunction(timezone.now)


def aifta_draft(exporter, reference_data, **fields):
    """A complete preferential draft under AIFTA to Indonesia, at EIC Mumbai."""
    return ApplicationFactory(
        complete=True,
        exporter=exporter,
        certificate_type="preferential",
        agreement=reference_data["aifta"],
        destination_country="ID",
        office=reference_data["eic_mumbai"],
        **fields,
    )


def ready_to_pay(exporter, reference_data):
    """An AIFTA draft with every section complete, the documents uploaded and the declaration
    signed, fee unpaid (INR 500)."""
    application = aifta_draft(exporter, reference_data)
    InvoiceFactory(application=application)
    LineItemFactory(application=application, origin_criterion="WO")
    DocumentFactory(application=application, kind="commercial_invoice")
    DocumentFactory(application=application, kind="packing_list")
    declaration_sign(application)
    return application


def declaration_sign(application, signer=None):
    """Sign `application`'s declaration as it is now (as the code sent by SMS would): a test
    that is not about signing starts from a signed declaration. Reload the application after
    changing it, then sign."""
    from django.utils import timezone as tz

    from applications.declared import declared_sha256, declared_text, signer_capacity
    from applications.models import Application, DeclarationSignature

    application = (
        Application.objects.select_related("firm", "agreement", "agency", "office")
        .prefetch_related("items", "invoices", "documents")
        .get(pk=application.pk)
    )
    signer = signer or application.exporter
    now = tz.now()
    return DeclarationSignature.objects.create(
        application=application,
        signer=signer,
        signer_name=signer.get_full_name() or signer.username,
        capacity=signer_capacity(signer, application),
        on_behalf_of=application.firm.firm_name,
        method="sms_otp",
        mobile=signer.mobile or "+919876541234",
        code_sent_at=now,
        content_sha256=declared_sha256(application),
        content=declared_text(application),
        signed_at=now,
    )


def document_stored(*, application_id: int, exporter, kind: str, upload):
    """A checked upload stored as the application's document at once, as the upload-check
    task does once the check passes (services.upload_receive, upload_check_run): for tests
    of storage that need a document and not the check's journey."""
    from applications.models import Application, Document
    from core.uploads import name_for_content, upload_check

    checked = upload_check(upload)
    document = Document(
        application=Application.objects.get(pk=application_id),
        kind=kind,
        original_name=name_for_content(upload.name or "upload", checked.content_type)[-255:],
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=exporter,
    )
    document.file.save(checked.sha256, upload, save=False)
    document.save()
    return document


def pdf_bytes(record) -> bytes:
    """The stored PDF of a certificate (or copy), read and closed: FieldFile.read() leaves the
    file open until the object is collected (a ResourceWarning)."""
    with record.pdf.open("rb") as stored:
        return stored.read()
