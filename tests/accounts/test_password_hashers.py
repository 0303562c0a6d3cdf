"""The production password hasher (issue 17): Argon2id at OWASP's parameters, old PBKDF2
hashes upgraded at sign-in, and no hash computed for a wrong CAPTCHA. These tests put the
production hasher list back (the suite runs with MD5 for speed)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import Client
from django.urls import reverse

from accounts.hashers import PortalArgon2PasswordHasher
from accounts.models import User
from tests.factories import DEFAULT_PASSWORD

from .conftest import login_data

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture
def production_hashers(settings) -> None:
    settings.PASSWORD_HASHERS = settings.PRODUCTION_PASSWORD_HASHERS


def test_new_passwords_are_hashed_with_argon2id_at_owasp_parameters(production_hashers):
    encoded = make_password(DEFAULT_PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert isinstance(identify_hasher(encoded), PortalArgon2PasswordHasher)


def test_a_pbkdf2_hash_is_replaced_by_argon2id_when_its_owner_signs_in(
    client, alice, production_hashers
):
    alice.password = make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256")
    alice.save(update_fields=["password"])
    assert alice.password.startswith("pbkdf2_sha256$")
    response = client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD))
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.password.startswith("argon2$argon2id$")
    assert alice.check_password(DEFAULT_PASSWORD)


def test_a_wrong_password_leaves_the_old_hash_alone(client, alice, production_hashers):
    old = make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256")
    User.objects.filter(pk=alice.pk).update(password=old)
    client.post(LOGIN, login_data("0123456789", "wrong password"))
    alice.refresh_from_db()
    assert alice.password == old


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (LOGIN, login_data("0123456789", DEFAULT_PASSWORD, captcha_1="WRONG")),
        (
            reverse("accounts:officer-login"),
            {
                "username": "olivia",
                "password": DEFAULT_PASSWORD,
                "captcha_0": "x",
                "captcha_1": "WRONG",
            },
        ),
    ],
)
def test_a_wrong_captcha_costs_no_hash(alice, olivia, production_hashers, url, data):
    for user in (alice, olivia):
        user.set_password(DEFAULT_PASSWORD)  # an Argon2id hash, as in production
        user.save()
    with (
        mock.patch.object(PortalArgon2PasswordHasher, "verify", autospec=True) as verify,
        mock.patch.object(PortalArgon2PasswordHasher, "encode", autospec=True) as encode,
    ):
        response = Client().post(url, data)
    assert "do not match the image" in response.content.decode()
    assert (verify.call_count, encode.call_count) == (0, 0)


def test_a_right_captcha_and_a_wrong_password_cost_one_hash(alice, production_hashers):
    """The counterpart of the test above: the count does see a password being checked."""
    alice.set_password(DEFAULT_PASSWORD)
    alice.save()
    original = PortalArgon2PasswordHasher.verify
    with mock.patch.object(
        PortalArgon2PasswordHasher, "verify", autospec=True, side_effect=original
    ) as verify:
        Client().post(LOGIN, login_data("0123456789", "wrong password"))
    assert verify.call_count == 1
