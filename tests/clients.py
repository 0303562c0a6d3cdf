"""Test clients for each kind of person: what a real sign-in leaves in the session."""

from __future__ import annotations

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


def otp_device(user: User) -> TOTPDevice:
    """The user's confirmed authenticator, created if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def verified_client(user: User) -> Client:
    """Signed in with a confirmed second factor (what django_otp.login() leaves behind)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = otp_device(user).persistent_id
    session.save()
    return client


def exporter_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
