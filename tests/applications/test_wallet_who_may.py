"""Issue 33: who may see, change and spend a firm's fee wallet.

- The "fee wallet" link on *Check your answers* is offered only to those who may open the
  wallet (the firm's administrators); a signatory or an agent sees the balance without a
  link that would answer 404.
- A wallet change (GSTIN, top-up) by a signatory, a preparer or an agent's staff is refused
  with a 403 that says why, never a 500.
- Item 7: a firm setting (off by default, on its Agents page) says whether its authorised
  agents may pay fees from its wallet; the service enforces it (the page and the API alike).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import firms
from accounts.models import FirmSettings
from applications import wallet
from applications.models import Payment, Wallet
from tests import factories
from tests.accounts.agent_factories import kiran_logistics

from .conftest import signed_in
from .wallet_helpers import fund

pytestmark = pytest.mark.django_db

WALLET_LINK = f'href="{reverse("applications:wallet")}"'


@pytest.fixture
def firm(alice):
    return alice.exporter_profile.iec_record


@pytest.fixture
def sam(firm):
    return factories.FirmMemberFactory(firm=firm, role="signatory").user


@pytest.fixture
def priya(firm):
    return factories.FirmMemberFactory(firm=firm, role="preparer").user


@pytest.fixture
def kiran(firm, alice):
    return kiran_logistics(firm, alice).user


def check_page(client, application) -> str:
    response = client.get(reverse("applications:check", args=[application.reference]))
    assert response.status_code == 200
    return response.content.decode()


def test_only_the_administrator_is_offered_the_link_to_the_wallet(alice, sam, ready):
    fund(alice, 1000)
    assert WALLET_LINK in check_page(signed_in(alice), ready)
    sams_page = check_page(signed_in(sam), ready)
    assert WALLET_LINK not in sams_page  # it would answer 404
    assert "Or pay from the firm's fee wallet, which holds INR 1000.00." in sams_page
    assert signed_in(sam).get(reverse("applications:wallet")).status_code == 404


def test_a_signatory_told_the_balance_is_short_is_not_sent_to_the_wallet(alice, sam, ready):
    fund(alice, 100)
    page = check_page(signed_in(sam), ready)
    assert WALLET_LINK not in page
    assert "less than the fee: its administrator can add money to it" in page


@pytest.mark.parametrize("who", ["sam", "priya", "kiran"])
@pytest.mark.parametrize("what", ["wallet-gstin", "wallet-top-up"])
def test_a_wallet_change_by_someone_who_does_not_keep_it_is_a_403_that_says_why(
    request, alice, who, what
):
    client = signed_in(request.getfixturevalue(who))
    data = {"gstin": "29ABCDE1234F1Z5"} if what == "wallet-gstin" else {"amount": "500"}
    response = client.post(reverse(f"applications:{what}"), data)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Only an administrator of the firm can manage its fee wallet" in page
    assert not Wallet.objects.filter(gstin="29ABCDE1234F1Z5").exists()


# -- item 7: may the firm's agents pay from its wallet? ----------------------------------------


def test_an_agent_cannot_pay_from_the_wallet_by_default(alice, kiran, ready):
    fund(alice, 1000)
    assert not firms.agents_pay_from_wallet(ready.firm_id)
    client = signed_in(kiran)
    page = check_page(client, ready)
    assert "Use the fee wallet" not in page
    assert WALLET_LINK not in page  # it would answer 404
    assert "The firm does not let its agents pay fees from its fee wallet: pay by card." in page
    response = client.post(reverse("applications:pay-wallet", args=[ready.reference]))
    assert not Payment.objects.filter(application=ready, state="captured").exists()
    assert response.status_code in {302, 403}
    with pytest.raises(wallet.WalletError, match="does not let its agents pay"):
        wallet.wallet_pay_fee(application_id=ready.pk, user=kiran)


def test_the_firm_lets_its_agents_pay_from_the_wallet_on_its_agents_page(alice, kiran, ready):
    fund(alice, 1000)
    admin = signed_in(alice)
    agents_page = admin.get(reverse("accounts:firm-agents")).content.decode()
    assert "Your authorised agents cannot pay fees from your firm's fee wallet" in agents_page
    response = admin.post(
        reverse("accounts:firm-agents-wallet"), {"agents_pay_from_wallet": "on"}, follow=True
    )
    assert "Your authorised agents may now pay fees from your fee wallet." in (
        response.content.decode()
    )
    assert "Your authorised agents may pay fees from your firm's fee wallet" in (
        response.content.decode()
    )
    client = signed_in(kiran)
    kirans_page = check_page(client, ready)
    assert "Use the fee wallet" in kirans_page
    assert WALLET_LINK not in kirans_page  # the agent pays from it but does not keep it
    assert client.get(reverse("applications:wallet")).status_code == 404
    client.post(reverse("applications:pay-wallet", args=[ready.reference]))
    assert Payment.objects.get(application=ready, state="captured").started_by == kiran
    # And off again: the next application's fee is the card's.
    admin.post(reverse("accounts:firm-agents-wallet"), {})
    assert FirmSettings.objects.get(firm_id=ready.firm_id).agents_pay_from_wallet is False


def test_only_the_firms_administrator_changes_the_setting(sam, kiran, firm):
    for person, status in ((sam, 404), (kiran, 404)):
        response = signed_in(person).post(
            reverse("accounts:firm-agents-wallet"), {"agents_pay_from_wallet": "on"}
        )
        assert response.status_code == status
    assert not firms.agents_pay_from_wallet(firm.pk)


def test_the_signatory_still_pays_from_the_wallet(alice, sam, ready):
    fund(alice, 1000)
    signed_in(sam).post(reverse("applications:pay-wallet", args=[ready.reference]))
    assert Payment.objects.get(application=ready, state="captured").gateway == "wallet"
