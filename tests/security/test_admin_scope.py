"""Django admin: an agency administrator administers their own agency's officers and nothing
else; exporters' credentials and the IEC registry are platform staff's, audited; no page shows
an authenticator's key after it was made (issue 18, finding 2)."""

from __future__ import annotations

import base64
import io

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin_scope import (
    AGENCY_ADMIN_PERMISSIONS,
    AgencyScopedAdminMixin,
    PlatformStaffOnlyAdminMixin,
)
from accounts.models import IECRecord, User
from tests import factories
from tests.clients import otp_device, verified_client

pytestmark = pytest.mark.django_db

# What seed_demo gave an agency administrator when the finding was made: with it, EIC's
# administrator read a FIEO officer's TOTP secret, set an exporter's password and edited the
# IEC registry. Holding all of it must not be enough any more.
OLD_DEMO_PERMISSIONS = (
    "view_user",
    "change_user",
    "view_iecrecord",
    "change_iecrecord",
    "add_iecrecord",
    "view_officerprofile",
    "view_loginactivity",
    "view_accessattempt",
    "delete_accessattempt",
    "view_accessfailurelog",
    "view_application",
    "view_certificate",
    "change_certificate",
    "view_totpdevice",
    "change_totpdevice",
    "view_exporterprofile",
    "change_exporterprofile",
)
PERMISSION_SETS = {"demo": AGENCY_ADMIN_PERMISSIONS, "old demo": OLD_DEMO_PERMISSIONS}
NEW_PASSWORD = "Quiet-Mangrove-4410"


@pytest.fixture(params=PERMISSION_SETS, ids=list(PERMISSION_SETS))
def ada_client(request, ada):
    ada.user_permissions.set(Permission.objects.filter(codename__in=PERMISSION_SETS[request.param]))
    return verified_client(ada)


@pytest.fixture
def demo_ada_client(ada):
    ada.user_permissions.set(Permission.objects.filter(codename__in=AGENCY_ADMIN_PERMISSIONS))
    return verified_client(ada)


@pytest.fixture
def root(db) -> User:
    return factories.UserFactory(username="root", role="operator", is_staff=True, is_superuser=True)


def user_pages(user: User) -> list[str]:
    return [
        reverse("admin:accounts_user_change", args=[user.pk]),
        reverse("admin:auth_user_password_change", args=[user.pk]),
        reverse("admin:accounts_user_history", args=[user.pk]),
        reverse("admin:accounts_user_delete", args=[user.pk]),
    ]


def lock(user: User) -> AccessAttempt:
    return AccessAttempt.objects.create(
        username=user.username.upper(),
        failures_since_start=5,
        attempt_time=timezone.now(),
        ip_address="203.0.113.9",
        user_agent="test",
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info="/officer/login/",
    )


def listed(client, name: str) -> set[int]:
    return {row.pk for row in client.get(reverse(name)).context["cl"].result_list}


def secrets_of(device: TOTPDevice) -> list[str]:
    return [device.key, base64.b32encode(device.bin_key).decode().rstrip("="), "otpauth://"]


# --- another agency's officers ----------------------------------------------------------------


def test_an_agency_administrator_gets_404_on_another_agencys_officer(ada_client, olivia, oscar):
    for url in user_pages(oscar):
        assert ada_client.get(url).status_code == 404, url
    profile = reverse("admin:accounts_officerprofile_change", args=[oscar.officer_profile.pk])
    assert ada_client.get(profile).status_code == 404
    users = listed(ada_client, "admin:accounts_user_changelist")
    profiles = listed(ada_client, "admin:accounts_officerprofile_changelist")
    assert oscar.pk not in users
    assert oscar.officer_profile.pk not in profiles
    # ... while their own agency's officer is theirs to administer.
    assert olivia.pk in users
    assert olivia.officer_profile.pk in profiles
    assert (
        ada_client.get(reverse("admin:accounts_user_change", args=[olivia.pk])).status_code == 200
    )
    own_profile = reverse("admin:accounts_officerprofile_change", args=[olivia.officer_profile.pk])
    assert ada_client.get(own_profile).status_code == 200


def test_an_agency_administrator_cannot_set_another_agencys_officers_password(ada_client, oscar):
    url = reverse("admin:auth_user_password_change", args=[oscar.pk])
    response = ada_client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 404
    oscar.refresh_from_db()
    assert not oscar.check_password(NEW_PASSWORD)


# --- exporters' credentials --------------------------------------------------------------------


def test_an_agency_administrator_gets_404_on_an_exporters_account_and_password(ada_client, alice):
    for url in user_pages(alice):
        assert ada_client.get(url).status_code == 404, url
    password = reverse("admin:auth_user_password_change", args=[alice.pk])
    ada_client.post(password, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    ada_client.post(
        reverse("admin:accounts_user_change", args=[alice.pk]),
        {"username": alice.username, "email": "mallory@evil.example", "mobile": "+919000000000"},
    )
    alice.refresh_from_db()
    assert not alice.check_password(NEW_PASSWORD)
    assert alice.email != "mallory@evil.example"
    assert alice.username not in (
        ada_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    )
    profile = reverse("admin:accounts_exporterprofile_change", args=[alice.exporter_profile.pk])
    assert ada_client.get(profile).status_code == 403


def test_platform_staff_change_an_exporters_email_and_password_and_admin_logs_who_did(root, alice):
    client = verified_client(root)
    change = reverse("admin:accounts_user_change", args=[alice.pk])
    form = client.get(change).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(email="accounts@alice-exports.example", date_joined_0="2026-01-01")
    data.update(date_joined_1="10:00:00", last_login_0="", last_login_1="")
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    alice.refresh_from_db()
    assert alice.email == "accounts@alice-exports.example"
    password = reverse("admin:auth_user_password_change", args=[alice.pk])
    response = client.post(
        password, {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    messages = [
        entry.get_change_message()
        for entry in LogEntry.objects.filter(user=root, object_id=alice.pk)
    ]
    assert any("Email" in message for message in messages), messages
    assert any("password" in message.lower() for message in messages), messages


def test_an_operator_needs_the_named_permission_for_exporters_accounts(alice):
    operator = factories.UserFactory(username="ops", role="operator", is_staff=True)
    operator.user_permissions.set(
        Permission.objects.filter(codename__in=["view_user", "change_user", "view_iecrecord"])
    )
    client = verified_client(operator)
    assert client.get(reverse("admin:accounts_user_change", args=[alice.pk])).status_code == 404
    assert client.get(reverse("admin:accounts_iecrecord_changelist")).status_code == 403
    operator.user_permissions.add(Permission.objects.get(codename="manage_exporter_accounts"))
    client = verified_client(User.objects.get(pk=operator.pk))
    assert client.get(reverse("admin:accounts_user_change", args=[alice.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_iecrecord_changelist")).status_code == 200


# --- the IEC registry ----------------------------------------------------------------------------


def test_an_agency_administrator_gets_403_on_the_iec_registry(ada_client, alice):
    record = alice.exporter_profile.iec_record
    assert ada_client.get(reverse("admin:accounts_iecrecord_changelist")).status_code == 403
    assert ada_client.get(reverse("admin:accounts_iecrecord_add")).status_code == 403
    change = reverse("admin:accounts_iecrecord_change", args=[record.pk])
    assert ada_client.get(change).status_code == 403
    response = ada_client.post(change, {"iec": record.iec, "email": "mallory@evil.example"})
    assert response.status_code == 403
    added = ada_client.post(reverse("admin:accounts_iecrecord_add"), {"iec": "9999999999"})
    assert added.status_code == 403
    assert not IECRecord.objects.filter(iec="9999999999").exists()
    record.refresh_from_db()
    assert record.email != "mallory@evil.example"
    index = ada_client.get(reverse("admin:index")).content.decode()
    assert "IEC records" not in index


def test_platform_staff_edit_the_iec_registry_and_the_change_is_logged(root, alice):
    record = alice.exporter_profile.iec_record
    client = verified_client(root)
    change = reverse("admin:accounts_iecrecord_change", args=[record.pk])
    response = client.post(
        change,
        {
            "iec": record.iec,
            "firm_name": record.firm_name,
            "address": record.address,
            "pan": record.pan,
            "email": "new@alice-exports.example",
            "mobile": record.mobile,
            "status": record.status,
        },
    )
    assert response.status_code == 302
    entry = LogEntry.objects.get(user=root, object_id=str(record.pk))
    assert "registered email" in entry.get_change_message().lower()


# --- authenticators: the key is shown once --------------------------------------------------------


def test_no_admin_page_shows_an_authenticator_key_after_it_was_made(
    root, demo_ada_client, olivia, oscar
):
    devices = [otp_device(olivia), otp_device(oscar)]
    superuser = verified_client(root)
    pages = [
        reverse("admin:accounts_officerprofile_change", args=[olivia.officer_profile.pk]),
        reverse("admin:accounts_officerprofile_change", args=[oscar.officer_profile.pk]),
        reverse("admin:accounts_user_change", args=[olivia.pk]),
        reverse("admin:otp_totp_totpdevice_changelist"),
        *(reverse("admin:otp_totp_totpdevice_change", args=[d.pk]) for d in devices),
        f"/admin/otp_totp/totpdevice/{devices[1].pk}/config/",
        f"/admin/otp_totp/totpdevice/{devices[1].pk}/qrcode/",
    ]
    for client in (superuser, demo_ada_client):
        for url in pages:
            body = client.get(url, follow=True).content.decode()
            for secret in secrets_of(devices[0]) + secrets_of(devices[1]):
                assert secret not in body, (url, secret)
    with pytest.raises(NoReverseMatch):
        reverse("admin:otp_totp_totpdevice_config", kwargs={"pk": devices[0].pk})
    # The superuser sees the devices, read-only; the agency administrator not at all.
    change = reverse("admin:otp_totp_totpdevice_change", args=[devices[0].pk])
    assert superuser.get(change).status_code == 200
    assert 'name="key"' not in superuser.get(change).content.decode()
    assert superuser.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    assert demo_ada_client.get(change).status_code == 403


def test_a_new_authenticator_is_shown_once_to_the_officers_own_agency_administrator(
    demo_ada_client, olivia
):
    old = otp_device(olivia)
    response = demo_ada_client.post(
        reverse("admin:accounts_officerprofile_changelist"),
        {"action": "replace_authenticator", "_selected_action": [olivia.officer_profile.pk]},
    )
    assert response.status_code == 200
    new = TOTPDevice.objects.get(user=olivia)
    assert new.pk != old.pk
    body = response.content.decode()
    assert "This is the only time this key is shown." in body
    assert escape(new.config_url) in body
    assert "<svg" in body
    assert "no-store" in response["Cache-Control"]
    later = demo_ada_client.get(
        reverse("admin:accounts_officerprofile_change", args=[olivia.officer_profile.pk])
    ).content.decode()
    assert all(secret not in later for secret in secrets_of(new))
    assert LogEntry.objects.filter(object_id=str(olivia.officer_profile.pk)).exists()


def test_an_agency_administrator_cannot_replace_another_agencys_authenticator(
    demo_ada_client, oscar
):
    device = otp_device(oscar)
    response = demo_ada_client.post(
        reverse("admin:accounts_officerprofile_changelist"),
        {"action": "replace_authenticator", "_selected_action": [oscar.officer_profile.pk]},
    )
    assert device.config_url not in response.content.decode()
    assert list(TOTPDevice.objects.filter(user=oscar)) == [device]


# --- unlocking an officer -------------------------------------------------------------------------


def test_an_agency_administrator_unlocks_their_own_officer(demo_ada_client, olivia):
    lock(olivia)
    changelist = reverse("admin:accounts_user_changelist")
    listing = demo_ada_client.get(changelist)
    row = next(u for u in listing.context["cl"].result_list if u.pk == olivia.pk)
    assert row.is_locked
    response = demo_ada_client.post(
        changelist, {"action": "unlock_sign_in", "_selected_action": [olivia.pk]}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="OLIVIA").exists()
    entry = LogEntry.objects.get(object_id=str(olivia.pk))
    assert entry.get_change_message() == "Unlocked sign-in (1 lock record(s) cleared)."


def test_an_agency_administrator_cannot_unlock_another_agencys_officer(
    demo_ada_client, olivia, oscar
):
    lock(oscar)
    demo_ada_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [oscar.pk]},
    )
    assert AccessAttempt.objects.filter(username="OSCAR").exists()
    # axes' own lock records are not theirs to browse or delete either.
    attempts = reverse("admin:axes_accessattempt_changelist")
    assert demo_ada_client.get(attempts).status_code == 403


# --- one scoping rule for every admin ----------------------------------------------------------


def test_every_admin_is_either_agency_scoped_or_for_platform_staff_only():
    loose = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AgencyScopedAdminMixin | PlatformStaffOnlyAdminMixin)
    ]
    assert loose == []


def test_agency_owned_admins_are_agency_scoped():
    scoped = {
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, AgencyScopedAdminMixin)
    }
    assert scoped >= {
        "accounts.User",
        "accounts.OfficerProfile",
        "accounts.LoginActivity",
        "applications.Application",
        "applications.Payment",
        "certificates.Certificate",
        "certificates.IssuanceAttempt",
        "verification.VerificationLog",
    }


def test_the_demo_agency_administrator_sees_their_officers_and_nothing_of_exporters(db):
    call_command("seed_demo", stdout=io.StringIO())
    demo_admin = User.objects.get(username="admin.eic")
    client = verified_client(demo_admin)
    users = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "officer.mumbai" in users
    assert "0123456789" not in users
    assert client.get(reverse("admin:accounts_iecrecord_changelist")).status_code == 403
    exporter = User.objects.get(username="0123456789")
    assert (
        client.get(reverse("admin:auth_user_password_change", args=[exporter.pk])).status_code
        == 404
    )


def test_create_officer_gives_an_agency_administrator_the_narrow_set(eic_mumbai, settings):
    settings.OFFICER_PASSWORD = NEW_PASSWORD
    call_command(
        "create_officer",
        "priya",
        "--email=priya@eic.example",
        "--agency=EIC",
        "--office=MUM",
        "--agency-admin",
        stdout=io.StringIO(),
    )
    priya = User.objects.get(username="priya")
    assert set(priya.user_permissions.values_list("codename", flat=True)) == set(
        AGENCY_ADMIN_PERMISSIONS
    )
    assert verified_client(priya).get(reverse("admin:accounts_user_changelist")).status_code == 200
