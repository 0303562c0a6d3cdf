"""Issue 27: the runbook's commands: add_agency (offices, agreements, tax profile) and
create_platform_admin (a superuser with a second factor)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from reference.models import AgencyOffice, IssuingAgency
from tests import factories


@pytest.mark.django_db
def test_add_agency_creates_the_agency_its_offices_agreements_and_gstin():
    aifta = factories.TradeAgreementFactory(code="AIFTA")
    out = io.StringIO()
    call_command(
        "add_agency",
        "MPEDA",
        "Marine Products Export Development Authority",
        "--office",
        "KOC:MPEDA Kochi:Kochi",
        "--office",
        "VSK:MPEDA Visakhapatnam:Visakhapatnam",
        "--agreement",
        "AIFTA",
        "--gstin",
        "32AAAJM1234F1ZS",
        stdout=out,
    )
    agency = IssuingAgency.objects.get(code="MPEDA")
    assert agency.gstin == "32AAAJM1234F1ZS"
    assert sorted(agency.offices.values_list("code", flat=True)) == ["KOC", "VSK"]
    assert list(agency.agreements.all()) == [aifta]
    assert "SIGNING_VC_KEY_MPEDA" in out.getvalue()
    # Again with one more office: the agency gains it, nothing is duplicated.
    call_command(
        "add_agency", "MPEDA", "Marine Products Export Development Authority",
        "--office", "MUM:MPEDA Mumbai:Mumbai", stdout=out,
    )  # fmt: skip
    assert AgencyOffice.objects.filter(agency=agency).count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--office", "KOC:Kochi"], "CODE:Name:City"),
        (["--office", "KOC:K:Kochi", "--gstin", "not-a-gstin"], "Enter a GSTIN of 15 characters"),
        (["--office", "KOC:K:Kochi", "--agreement", "NOPE"], "No trade agreement NOPE"),
        ([], "at least one office"),
    ],
)
def test_add_agency_refuses_what_is_wrong_and_writes_nothing(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("add_agency", "XYZ", "Some agency", *arguments, stdout=io.StringIO())
    assert not IssuingAgency.objects.filter(code="XYZ").exists()


@pytest.mark.django_db
def test_create_platform_admin_makes_a_superuser_with_a_second_factor(settings):
    settings.PLATFORM_ADMIN_PASSWORD = "a long admin passphrase 42"
    out = io.StringIO()
    call_command("create_platform_admin", "root.admin", "--email", "ops@example.gov.in", stdout=out)
    admin = User.objects.get(username="root.admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.role == User.Role.OPERATOR
    assert admin.check_password("a long admin passphrase 42")
    assert admin.totpdevice_set.filter(confirmed=True).count() == 1
    assert "otpauth://totp/" in out.getvalue()
    with pytest.raises(CommandError, match="taken"):
        call_command("create_platform_admin", "root.admin", "--email", "x@example.gov.in")
