"""The verifiers' own sign-in (issue 32): password, CAPTCHA, then the authenticator's code,
the officers' machinery at its own door; neither door lets the other persona in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.test_admin_sign_in import current_code, sign_in_data
from tests.clients import otp_device
from tests.factories import DEFAULT_PASSWORD
from tests.verification.test_utilisation import verifier

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:verifier-login")
CODE = reverse("accounts:verifier-otp")
HOME = reverse("verification:verifier-home")


@pytest.fixture
def hamdan():
    return verifier("hamdan", org="Dubai Customs")


def test_a_verifier_signs_in_with_password_and_code_and_reaches_its_requests(hamdan):
    device = otp_device(hamdan)
    client = Client()
    answer = client.post(LOGIN, sign_in_data("hamdan", DEFAULT_PASSWORD))
    assert answer["Location"].startswith(CODE)
    # The password alone opens nothing.
    assert client.get(HOME)["Location"].startswith(LOGIN)
    answer = client.post(CODE, {"code": current_code(device)})
    assert answer["Location"] == HOME
    assert client.get(HOME).status_code == 200


def test_a_wrong_password_is_refused_at_the_code_step_like_a_wrong_code(hamdan):
    device = otp_device(hamdan)
    client = Client()
    client.post(LOGIN, sign_in_data("hamdan", "not the password"))
    answer = client.post(CODE, {"code": current_code(device)})
    assert answer.status_code == 200
    assert "not right" in answer.content.decode()
    assert client.get(HOME)["Location"].startswith(LOGIN)


def test_an_officer_cannot_use_the_verifiers_door_nor_a_verifier_the_officers(hamdan, olivia):
    client = Client()
    client.post(LOGIN, sign_in_data("olivia", DEFAULT_PASSWORD))
    answer = client.post(CODE, {"code": current_code(otp_device(olivia))})
    assert answer.status_code == 200  # refused, the same words as a wrong code
    assert "_auth_user_id" not in client.session

    client = Client()
    client.post(reverse("accounts:officer-login"), sign_in_data("hamdan", DEFAULT_PASSWORD))
    answer = client.post(
        reverse("accounts:officer-otp"), {"code": current_code(otp_device(hamdan))}
    )
    assert answer.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_new_verifier_sets_up_the_authenticator_on_first_sign_in(hamdan):
    client = Client()
    client.post(LOGIN, sign_in_data("hamdan", DEFAULT_PASSWORD))
    answer = client.get(CODE)
    assert answer["Location"].startswith(reverse("accounts:verifier-enrol"))
    page = client.get(answer["Location"])
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=hamdan, confirmed=False)
    answer = client.post(reverse("accounts:verifier-enrol"), {"code": current_code(device)})
    assert answer["Location"] == HOME
    device.refresh_from_db()
    assert device.confirmed
