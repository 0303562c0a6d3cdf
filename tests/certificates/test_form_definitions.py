"""The forms as data (issue 29): the reference data's criteria come from the definitions,
AIFTA no longer offers "PE", retroactive issue follows each agreement's rule, and the
third party's invoice reaches Form AI's box 10."""

from __future__ import annotations

import importlib
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command

from applications.models import CostSheet
from certificates.selectors import application_for_certificate
from certificates.services import certificate_data_build, issued_retroactively
from reference.certificate_forms import FORMS
from reference.models import TradeAgreement
from tests import factories

from .factories import application_under_review

pytestmark = pytest.mark.django_db


def test_seeded_agreements_offer_exactly_their_forms_criteria() -> None:
    call_command("seed_reference", stdout=io.StringIO())

    for agreement in TradeAgreement.objects.all():
        assert agreement.origin_criteria == list(FORMS[agreement.code].criteria)
    assert "PE" not in TradeAgreement.objects.get(code="AIFTA").origin_criteria


def test_the_migration_takes_pe_from_aifta_and_only_from_aifta() -> None:
    migration = importlib.import_module("reference.migrations.0003_aifta_criteria_without_pe")
    TradeAgreement.objects.create(
        code="AIFTA", name="A", form_title="Form AI", origin_criteria=["WO", "PE", "RVC+CTSH"]
    )
    TradeAgreement.objects.create(
        code="IJCEPA", name="J", form_title="J", origin_criteria=["WO", "PE"]
    )

    migration.drop_pe(apps, None)

    assert TradeAgreement.objects.get(code="AIFTA").origin_criteria == ["WO", "RVC+CTSH"]
    assert TradeAgreement.objects.get(code="IJCEPA").origin_criteria == ["WO", "PE"]


@pytest.mark.parametrize(
    ("code", "days", "expected"),
    [("AIFTA", 3, False), ("AIFTA", 4, True), ("IMCECPA", 10, True), ("", 30, False)],
)
def test_retroactive_issue_follows_the_agreements_rule(code: str, days: int, expected: bool):
    shipped = date(2026, 3, 1)
    issued = date.fromordinal(shipped.toordinal() + days)

    assert (
        issued_retroactively(agreement_code=code, departure_date=shipped, issue_date=issued)
        is expected
    )


def test_the_third_partys_invoice_and_the_exporters_contacts_reach_the_certificate(
    alice, olivia, eic_mumbai
) -> None:
    application = application_under_review(
        exporter=alice,
        officer=olivia,
        office=eic_mumbai,
        third_party_invoicing=True,
        third_party_name="Lion Trading Pte Ltd",
        third_party_invoice_number="SG22-097",
        third_party_invoice_date=date(2026, 8, 9),
    )

    data = certificate_data_build(
        application=application,
        number="EIC/2026/MUM/0000001",
        code="K7PX2M9QRT4W",
        issued_at=datetime(2026, 8, 10, 12, 0, tzinfo=UTC),
    )

    assert data.third_party_invoice == "SG22-097 of 09 Aug 2026"
    assert data.exporter.email == application.firm.email


def test_box_8_prints_the_percentage_the_cost_sheet_works_out(alice, olivia, eic_mumbai) -> None:
    application = application_under_review(
        exporter=alice,
        officer=olivia,
        office=eic_mumbai,
        items=1,
        certificate_type="preferential",
        agreement=factories.TradeAgreementFactory(),
    )
    item = application.items.get()
    item.origin_criterion = "RVC+CTSH"
    item.save()
    sheet = CostSheet.objects.create(item=item)
    # FOB USD 2,500 with USD 506.75 of imported yarn: (2,500 - 506.75) / 2,500 = 79.73%.
    sheet.materials.create(
        position=1,
        description="Yarn",
        hs_code="520512",
        origin_country="VN",
        value=Decimal("506.75"),
        originating=False,
    )

    data = certificate_data_build(
        application=application_for_certificate(application_id=application.pk),
        number="EIC/2026/MUM/0000001",
        code="K7PX2M9QRT4W",
        issued_at=datetime(2026, 8, 10, 12, 0, tzinfo=UTC),
    )

    assert [i.criterion_display for i in data.items] == ["RVC 79.73% + CTSH"]


def test_a_back_to_back_application_prints_the_foreign_certificate(
    alice, olivia, eic_mumbai
) -> None:
    application = application_under_review(
        exporter=alice,
        officer=olivia,
        office=eic_mumbai,
        back_to_back=True,
        foreign_certificate_number="VN-2026-0007781",
        foreign_certificate_issuer="VCCI Ho Chi Minh City",
        foreign_certificate_country="VN",
        foreign_certificate_date=date(2026, 2, 10),
    )

    data = certificate_data_build(
        application=application,
        number="EIC/2026/MUM/0000002",
        code="K7PX2M9QRT4W",
        issued_at=datetime(2026, 8, 10, 12, 0, tzinfo=UTC),
    )

    assert data.foreign_certificate == (
        "No. VN-2026-0007781, issued by VCCI Ho Chi Minh City, Vietnam, on 10 Feb 2026"
    )
    assert data.origin_country == "VIETNAM"
