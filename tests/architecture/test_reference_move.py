"""The move of the reference models to reference/ touches no row (issue 15).

A database is migrated back to before the move, filled with historical models (agreements,
agencies, offices, officers, applications, certificates), migrated forward again, and every row
and every foreign key is found through today's models. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import FirmMember, OfficerProfile, User
from applications.models import Application
from certificates.models import Certificate
from reference.models import AgencyOffice, Fee, HSCode, IssuingAgency, TradeAgreement

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh loader sees what is applied now


def fill_before_the_move(old) -> dict[str, int]:
    agreement = old.get_model("applications", "TradeAgreement").objects.create(
        code="AIFTA", name="ASEAN-India", form_title="Form AI", origin_criteria=["WO"]
    )
    agency = old.get_model("applications", "IssuingAgency").objects.create(code="EIC", name="EIC")
    agency.agreements.add(agreement)
    office = old.get_model("applications", "AgencyOffice").objects.create(
        agency=agency, code="MUM", name="Mumbai", city="Mumbai"
    )
    old.get_model("applications", "HSCode").objects.create(
        code="610910", description="T-shirts", parent="6109", level=6, section="XI"
    )
    fee = old.get_model("applications", "Fee").objects.create(
        certificate_type="preferential",
        agreement=agreement,
        amount=Decimal("250.00"),
        valid_from=dt.date(2026, 1, 1),
    )
    user_model = old.get_model("accounts", "User")
    officer = user_model.objects.create(username="officer-before", role="officer")
    exporter = user_model.objects.create(username="0123456789")
    record = old.get_model("accounts", "IECRecord").objects.create(
        iec="0123456789", firm_name="Before Exports", address="Mumbai", email="b@example.com"
    )
    old.get_model("accounts", "ExporterProfile").objects.create(
        user=exporter,
        iec_record=record,
        registration_completed_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )
    old.get_model("accounts", "OfficerProfile").objects.create(
        user=officer, agency=agency, office=office
    )
    application = old.get_model("applications", "Application").objects.create(
        reference="COO-2026-000001",
        exporter=exporter,
        status="issued",
        certificate_type="preferential",
        agreement=agreement,
        destination_country="SG",
        agency=agency,
        office=office,
        assigned_officer=officer,
    )
    certificate = old.get_model("certificates", "Certificate").objects.create(
        application=application,
        number="EIC/MUM/2026/000001",
        verification_code="ABCD2345",
        office=office,
        year=2026,
        sequence=1,
        pdf="certificates/2026/x.pdf",
        sha256="0" * 64,
        issued_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
        signing_officer=officer,
    )
    return {
        "agreement": agreement.pk,
        "agency": agency.pk,
        "office": office.pk,
        "fee": fee.pk,
        "officer": officer.pk,
        "exporter": exporter.pk,
        "firm": record.pk,
        "application": application.pk,
        "certificate": certificate.pk,
    }


def test_a_filled_database_keeps_every_row_and_key_through_the_move() -> None:
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = migrate([("reference", None)])  # back to before the move, and all that follows it
    assert ("reference", "0001_initial") not in executor.loader.applied_migrations
    old = executor.loader.project_state(list(executor.loader.applied_migrations)).apps
    assert old.get_model("applications", "AgencyOffice")._meta.db_table == (
        "applications_agencyoffice"
    )
    ids = fill_before_the_move(old)
    ContentType.objects.get_or_create(app_label="applications", model="agencyoffice")
    ContentType.objects.filter(app_label="reference").delete()

    migrate(leaves)

    agreement = TradeAgreement.objects.get(pk=ids["agreement"])
    agency = IssuingAgency.objects.get(pk=ids["agency"])
    office = AgencyOffice.objects.get(pk=ids["office"])
    assert list(agency.agreements.all()) == [agreement]
    assert office.agency == agency
    assert HSCode.objects.get(code="610910").description == "T-shirts"
    assert Fee.objects.get(pk=ids["fee"]).agreement == agreement
    profile = OfficerProfile.objects.get(user_id=ids["officer"])
    assert (profile.agency, profile.office) == (agency, office)
    application = Application.objects.get(pk=ids["application"])
    assert (application.agreement, application.agency, application.office) == (
        agreement,
        agency,
        office,
    )
    assert application.assigned_officer == User.objects.get(pk=ids["officer"])
    # Applications came to belong to the firm (accounts 0006, applications 0013): the
    # registrant is its first administrator and the application is the firm's.
    assert application.firm_id == ids["firm"]
    assert application.submitted_by_id == ids["exporter"] or application.first_submitted_at is None
    member = FirmMember.objects.get(user_id=ids["exporter"])
    assert (member.firm_id, member.role) == (ids["firm"], "administrator")
    certificate = Certificate.objects.get(pk=ids["certificate"])
    assert (certificate.application, certificate.office) == (application, office)
    assert list(office.certificates.all()) == [certificate]
    # Admin log entries and permissions keep pointing at the moved models.
    assert ContentType.objects.get_for_model(AgencyOffice).app_label == "reference"
    assert not ContentType.objects.filter(app_label="applications", model="agencyoffice").exists()


def test_the_moved_models_keep_their_tables() -> None:
    tables = {m._meta.db_table for m in (TradeAgreement, IssuingAgency, AgencyOffice, HSCode, Fee)}
    assert tables == {
        "applications_tradeagreement",
        "applications_issuingagency",
        "applications_agencyoffice",
        "applications_hscode",
        "applications_fee",
    }
    assert (
        IssuingAgency.agreements.through._meta.db_table == "applications_issuingagency_agreements"
    )
