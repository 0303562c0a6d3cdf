"""Issue 33: the messages views, forms and services build with values (a reference, an amount,
a limit) reach a Hindi reader in Hindi. One representative per area: payments and wallet,
goods and their bulk import, verification requests, uploads, and agents. The officers'
pages stay English (accounts.language.CATALOGUE_IGNORE), so their messages are not here."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from applications.declaration import declaration_sign_confirm
from applications.forms import DeclarationForm, PartiesForm, TransportForm
from applications.reference_checks import currency_clean, departure_date_check
from applications.selectors import fee_for
from applications.services import payment_start
from applications.wallet import WalletError, wallet_top_up_start
from applications.wallet_forms import GSTINForm, TopUpForm
from applications.workflow import WorkflowError, application_resubmit
from core.uploads import upload_precheck
from tests.accounts.agent_factories import kiran_logistics
from tests.applications.conftest import signed_in
from verification.requests import MAX_ATTACHMENTS, uploads_check

pytestmark = pytest.mark.django_db


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def test_a_failed_payment_is_told_in_hindi(alice, ready):
    User.objects.filter(pk=alice.pk).update(language="hi")
    alice.refresh_from_db()
    client = signed_in(alice)
    client.post(reverse("applications:pay", args=[ready.reference]))
    payment = ready.payments.get()
    back = client.post(
        reverse("applications:payment-sandbox", args=[payment.order_id]), {"outcome": "failed"}
    )
    page = client.get(back["Location"], follow=True).content.decode()
    assert "भुगतान विफल रहा: कोई राशि नहीं काटी गई। आपका आवेदन सहेजा गया है" in page
    assert "nothing was charged" not in page


def test_an_agent_is_told_in_hindi_which_firm_it_files_for(alice):
    firm = alice.exporter_profile.iec_record
    kiran = kiran_logistics(firm, alice).user
    User.objects.filter(pk=kiran.pk).update(language="hi")
    kiran.refresh_from_db()
    client = Client()
    client.force_login(kiran)
    page = client.post(
        reverse("accounts:acting-for"), {"firm": firm.pk}, follow=True
    ).content.decode()
    assert f"आप {firm.firm_name} (IEC {firm.iec}) की ओर से आवेदन कर रहे हैं।" in page


def test_a_goods_and_import_check_is_told_in_hindi_with_its_code_and_date():
    with translation.override("hi"), pytest.raises(ValidationError) as currency:
        currency_clean("XYZ")
    assert "XYZ कोई ISO 4217 मुद्रा कोड नहीं है।" in _messages(currency.value)
    with translation.override("hi"), pytest.raises(ValidationError) as departure:
        departure_date_check(dt.date(2030, 1, 1), today=dt.date(2026, 1, 1))
    assert "अगले 6 महीनों के भीतर की प्रस्थान तिथि दर्ज करें" in _messages(departure.value)


def test_a_verification_request_limit_is_told_in_hindi():
    files = [SimpleUploadedFile(f"{n}.pdf", b"%PDF-1.4") for n in range(MAX_ATTACHMENTS + 1)]
    with translation.override("hi"), pytest.raises(ValidationError) as refused:
        uploads_check(files)
    assert f"अधिकतम {MAX_ATTACHMENTS} फ़ाइलें संलग्न करें।" in _messages(refused.value)


def test_an_upload_too_big_is_told_in_hindi(settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4" + b"0" * (1024 * 1024 + 1))
    with translation.override("hi"), pytest.raises(ValidationError) as refused:
        upload_precheck(big)
    assert "फ़ाइल 1 MB से छोटी होनी चाहिए।" in _messages(refused.value)


def test_the_same_check_stays_english_for_an_english_reader():
    with translation.override("en"), pytest.raises(ValidationError) as currency:
        currency_clean("XYZ")
    assert currency.value.messages == [
        "XYZ is not an ISO 4217 currency code. Enter a code such as USD, EUR or INR."
    ]


def test_a_payment_refused_by_the_service_is_told_in_hindi(bob, ready):
    with translation.override("hi"), pytest.raises(WorkflowError) as refused:
        payment_start(application_id=ready.pk, exporter=bob)
    assert str(refused.value) == "यह आवेदन आपका नहीं है।"


def test_a_resubmission_without_a_reply_is_refused_in_hindi(alice, ready):
    with translation.override("hi"), pytest.raises(WorkflowError) as refused:
        application_resubmit(application_id=ready.pk, exporter=alice, reply="  ")
    assert str(refused.value) == "फिर से जमा करने से पहले अधिकारी के प्रश्न का उत्तर लिखें।"


def test_signing_without_a_code_asked_for_is_refused_in_hindi(alice, ready):
    with translation.override("hi"), pytest.raises(WorkflowError) as refused:
        declaration_sign_confirm(application_id=ready.pk, signer=alice, code="123456")
    assert str(refused.value) == "इस घोषणा पर हस्ताक्षर करने के लिए पहले कोड मँगाएँ।"


def test_a_wallet_top_up_out_of_range_is_refused_in_hindi(alice, settings):
    settings.WALLET_TOP_UP_MIN, settings.WALLET_TOP_UP_MAX = 100, 500
    with translation.override("hi"), pytest.raises(WalletError) as refused:
        wallet_top_up_start(user=alice, amount_rupees=1000)
    assert str(refused.value) == "एक बार में INR 100 से INR 500 के बीच टॉप-अप करें।"


def test_the_wallet_forms_speak_hindi(settings):
    settings.WALLET_TOP_UP_MIN, settings.WALLET_TOP_UP_MAX = 100, 500
    with translation.override("hi"):
        top_up = TopUpForm({"amount": "50"})
        assert top_up.fields["amount"].help_text == "पूरे रुपये, 100 से 500 तक।"
        assert "कम से कम INR 100 जोड़ें।" in top_up.errors["amount"]
        gstin = GSTINForm({"gstin": "27ABC"})
        assert "15 अक्षरों का GSTIN दर्ज करें" in " ".join(gstin.errors["gstin"])


def test_the_in_lieu_fee_is_explained_in_hindi(ready):
    ready.replaces_id = ready.pk  # in memory only: fee_for reads the policy for a replacement
    ready.agency.in_lieu_fee, ready.agency.in_lieu_fee_percent = "reduced", 50
    with translation.override("hi"):
        fee = fee_for(ready)
    assert fee is not None
    assert "जारी प्रमाणपत्र के लिए शुल्क का 50% लेती है" in fee.explanation
    assert "instead of" not in fee.explanation


def test_the_application_sections_label_and_refuse_in_hindi(ready):
    with translation.override("hi"):
        transport = TransportForm({}, instance=ready)
        assert transport.fields["port_of_loading"].label == "लदान बंदरगाह"
        assert transport.errors["port_of_loading"] == ["लदान बंदरगाह दर्ज करें।"]
        parties = PartiesForm({}, instance=ready)
        assert parties.fields["consignee_name"].label == "परेषिती का नाम"
        assert parties.errors["consignee_name"] == ["परेषिती का नाम दर्ज करें।"]
        declaration = DeclarationForm({}, instance=ready)
        assert declaration.fields["declaration_name"].label == "हस्ताक्षरकर्ता का नाम"
        assert str(declaration.fields["declaration_accepted"].label).startswith("मैं घोषणा")
