"""Issue 31: an agency administrator invites an officer (email link, password, then the
authenticator at the first sign-in), changes their office, deactivates and reactivates them,
resets their authenticator; every step is recorded; other agencies' officers are not theirs."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import officers
from accounts.models import OfficerEvent, User
from accounts.services import AccountError
from tests import factories
from tests.clients import otp_device

NEW_PASSWORD = "Quiet-Mangrove-4410"
LINK_RE = re.compile(r"https?://\S+/accounts/officer/invitation/\S+/")


@pytest.fixture
def ada_client(ada, officer_client):
    return officer_client(ada)


@pytest.fixture
def eic_delhi(eic):
    return factories.OfficeFactory(agency=eic, code="DEL", name="EIA Delhi", city="New Delhi")


def invite(client, office, **overrides):
    data = {
        "first_name": "Ravi",
        "last_name": "Iyer",
        "email": "ravi@eic.example",
        "username": "ravi",
        "office": office.pk,
        **overrides,
    }
    return client.post(reverse("officer:officers"), data)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def sign_in(client: Client, username: str, password: str = NEW_PASSWORD):
    return client.post(
        reverse("accounts:officer-login"),
        {"username": username, "password": password, "captcha_0": "x", "captcha_1": "PASSED"},
    )


def code_for(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(
        device.digits
    )


def test_an_invited_officer_sets_a_password_enrols_and_signs_in(
    ada_client, ada, eic_delhi, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(ada_client, eic_delhi)
    assert response.status_code == 302
    ravi = User.objects.get(username="ravi")
    assert (ravi.role, ravi.officer_profile.office, ravi.has_usable_password()) == (
        User.Role.OFFICER,
        eic_delhi,
        False,
    )
    [email] = mail.outbox
    assert email.to == ["ravi@eic.example"]
    link = LINK_RE.search(email.body).group(0)

    client = Client()
    page = client.get(path_of(link))
    assert "You will sign in with the username <strong>ravi</strong>" in page.content.decode()
    done = client.post(path_of(link), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get(path_of(link)).status_code == 400  # the link works once

    sign_in(client, "ravi")
    enrol = client.get(reverse("accounts:officer-otp"))
    assert enrol.url.startswith(reverse("accounts:officer-enrol"))
    client.get(reverse("accounts:officer-enrol"))
    device = TOTPDevice.objects.get(user__username="ravi", confirmed=False)
    client.post(reverse("accounts:officer-enrol"), {"code": code_for(device)})

    assert client.get(reverse("officer:queue")).status_code == 200
    ravi.officer_profile.refresh_from_db()
    assert ravi.officer_profile.must_enrol is False
    assert list(OfficerEvent.objects.filter(officer=ravi).values_list("action", "actor")) == [
        (OfficerEvent.Action.ENROLLED, ravi.pk),
        (OfficerEvent.Action.ACCEPTED, ravi.pk),
        (OfficerEvent.Action.INVITED, ada.pk),
    ]


def test_an_officer_not_invited_and_without_an_authenticator_cannot_enrol_themselves(olivia):
    TOTPDevice.objects.filter(user=olivia).delete()
    client = Client()
    sign_in(client, olivia.username, factories.DEFAULT_PASSWORD)
    assert client.get(reverse("accounts:officer-enrol")).url == reverse("accounts:officer-login")


def test_a_deactivated_officer_cannot_sign_in_and_their_session_ends(
    ada_client, ada, olivia, officer_client
):
    olivias = officer_client(olivia)
    assert olivias.get(reverse("officer:queue")).status_code == 200

    ada_client.post(reverse("officer:officer-deactivate", args=[olivia.pk]))

    olivia.refresh_from_db()
    assert olivia.is_active is False
    assert olivias.get(reverse("officer:queue")).status_code == 302  # signed out
    client = Client()
    sign_in(client, olivia.username, factories.DEFAULT_PASSWORD)
    device = otp_device(olivia)
    client.post(reverse("accounts:officer-otp"), {"code": code_for(device)})
    assert client.get(reverse("officer:queue")).status_code == 302

    ada_client.post(reverse("officer:officer-reactivate", args=[olivia.pk]))
    olivia.refresh_from_db()
    assert olivia.is_active
    assert [e.action for e in OfficerEvent.objects.filter(officer=olivia)] == [
        OfficerEvent.Action.REACTIVATED,
        OfficerEvent.Action.DEACTIVATED,
    ]


def test_resetting_the_authenticator_removes_it_and_asks_for_a_new_one(ada_client, ada, olivia):
    old = otp_device(olivia)

    ada_client.post(reverse("officer:officer-reset-authenticator", args=[olivia.pk]))

    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    client = Client()
    sign_in(client, olivia.username, factories.DEFAULT_PASSWORD)
    assert client.get(reverse("accounts:officer-otp")).url.startswith(
        reverse("accounts:officer-enrol")
    )
    event = OfficerEvent.objects.get(officer=olivia)
    assert (event.action, event.actor) == (OfficerEvent.Action.AUTHENTICATOR_RESET, ada)


def test_the_administrator_moves_an_officer_to_another_office(ada_client, ada, olivia, eic_delhi):
    ada_client.post(reverse("officer:officer", args=[olivia.pk]), {"office": eic_delhi.pk})

    olivia.officer_profile.refresh_from_db()
    assert olivia.officer_profile.office == eic_delhi
    event = OfficerEvent.objects.get(officer=olivia)
    assert (event.action, event.detail) == (
        OfficerEvent.Action.OFFICE_CHANGED,
        "EIA Mumbai -> EIA Delhi",
    )
    page = ada_client.get(reverse("officer:officer", args=[olivia.pk])).content.decode()
    assert "Office changed" in page
    assert "EIA Mumbai -&gt; EIA Delhi" in page


def test_another_agencys_officer_and_office_are_not_the_administrators(
    ada_client, ada, oscar, fieo_delhi, olivia
):
    for name in ("officer:officer", "officer:officer-deactivate"):
        method = ada_client.get if name == "officer:officer" else ada_client.post
        assert method(reverse(name, args=[oscar.pk])).status_code == 404
    oscar.refresh_from_db()
    assert oscar.is_active
    response = invite(ada_client, fieo_delhi)
    assert response.status_code == 422
    assert "Choose an office of your agency." in response.content.decode()
    with pytest.raises(AccountError):
        officers.officer_office_change(admin=ada, officer_id=olivia.pk, office_id=fieo_delhi.pk)
    assert not User.objects.filter(username="ravi").exists()


def test_an_officer_who_is_not_an_administrator_gets_404(olivia, officer_client, ada):
    client = officer_client(olivia)
    assert client.get(reverse("officer:officers")).status_code == 404
    assert client.post(reverse("officer:officer-deactivate", args=[ada.pk])).status_code == 404


def test_a_taken_username_is_refused_plainly(ada_client, eic_delhi, olivia):
    response = invite(ada_client, eic_delhi, username="olivia")
    assert response.status_code == 422
    assert "The username olivia is taken. Choose another." in response.content.decode()


def test_the_officer_list_costs_the_same_with_1_and_20_officers(ada_client, eic_mumbai):
    def count() -> int:
        ada_client.get(reverse("officer:officers"))
        with CaptureQueriesContext(connection) as ctx:
            assert ada_client.get(reverse("officer:officers")).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for n in range(20):
        factories.OfficerFactory(
            username=f"off{n}",
            officer_profile__agency=eic_mumbai.agency,
            officer_profile__office=eic_mumbai,
        )
    assert count() == one


# -- several offices ----------------------------------------------------------------------------


@pytest.fixture
def eic_chennai(eic):
    return factories.OfficeFactory(agency=eic, code="CHE", name="EIA Chennai", city="Chennai")


def test_an_officer_serves_the_offices_the_administrator_adds_and_their_queue_follows(
    ada_client, ada, olivia, officer_client, eic_mumbai, eic_delhi, eic_chennai
):
    from tests.officer.factories import submitted_application

    at = {
        office.code: submitted_application(exporter=factories.ExporterFactory(), office=office)
        for office in (eic_mumbai, eic_delhi, eic_chennai)
    }
    queue = reverse("officer:queue")
    before = officer_client(olivia).get(queue).content.decode()
    assert at["MUM"].reference in before
    assert at["DEL"].reference not in before

    response = ada_client.post(
        reverse("officer:officer-offices", args=[olivia.pk]), {"other_offices": [eic_delhi.pk]}
    )

    assert response.status_code == 302
    after = officer_client(olivia).get(queue).content.decode()
    assert at["MUM"].reference in after
    assert at["DEL"].reference in after
    assert at["CHE"].reference not in after  # not an office she serves
    assert "MUM office and the 1 other office you serve" in after
    event = OfficerEvent.objects.get(officer=olivia)
    assert (event.action, event.detail) == (OfficerEvent.Action.OFFICES_CHANGED, "none -> DEL")
    listing = ada_client.get(reverse("officer:officers")).content.decode()
    assert "(also DEL)" in listing


def test_another_agencys_office_cannot_be_added(ada, olivia, fieo_delhi):
    with pytest.raises(AccountError):
        officers.officer_other_offices_set(
            admin=ada, officer_id=olivia.pk, office_ids=[fieo_delhi.pk]
        )
    assert not olivia.officer_profile.other_offices.exists()


def test_an_office_notice_reaches_the_officers_who_serve_it(ada, olivia, eic_delhi):
    from applications.notifications import To, _officers
    from tests.officer.factories import submitted_application

    application = submitted_application(exporter=factories.ExporterFactory(), office=eic_delhi)
    assert olivia not in _officers(application, To.OFFICER)[1]

    officers.officer_other_offices_set(admin=ada, officer_id=olivia.pk, office_ids=[eic_delhi.pk])

    assert olivia in _officers(application, To.OFFICER)[1]
