"""Drive a firm's invitation through the real pages: the administrator's invite and check
step, then the invitee's link, details, SMS code. Shared by the accounts and applications
tests of members."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User

PASSWORD = "Harbour-Lantern-4417"
INVITATION_LINK_RE = re.compile(r"https?://\S+?(/accounts/invitation/[^/\s]+/)")
CODE_RE = re.compile(r"\b(\d{6})\b")


def invite(admin: Client, *, name: str, email: str, role: str, capture) -> str:
    """The administrator's invite form, check your answers and send; the link's path."""
    response = admin.post(
        reverse("accounts:member-invite"), {"name": name, "email": email, "role": role}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("accounts:member-invite-check")
    check = admin.get(response["Location"])
    assert email in check.content.decode()
    with capture(execute=True):
        sent = admin.post(reverse("accounts:member-invite-check"))
    assert sent["Location"] == reverse("accounts:members")
    assert mail.outbox[-1].to == [email]
    match = INVITATION_LINK_RE.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def details(**overrides: str) -> dict[str, str]:
    data = {
        "username": "priya",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "mobile": "9820012345",
        "captcha_0": "x",
        "captcha_1": "PASSED",
    }
    data.update(overrides)
    return data


def accept(link: str, *, username: str, mobile: str, sms_outbox: list, capture) -> Client:
    """The invitee opens the link, gives username, password and mobile, enters the code."""
    invitee = Client()
    opened = invitee.get(link)
    assert opened["Location"] == reverse("accounts:invitation-details"), opened.status_code
    with capture(execute=True):
        given = invitee.post(opened["Location"], details(username=username, mobile=mobile))
    assert given.status_code == 302, given.content.decode()[:3000]
    assert given["Location"] == reverse("accounts:invitation-otp")
    assert sms_outbox[-1].to == f"+91{mobile}"
    code = CODE_RE.search(sms_outbox[-1].body).group(1)
    with capture(execute=True):
        done = invitee.post(reverse("accounts:invitation-otp"), {"code": code})
    assert done["Location"] == reverse("accounts:invitation-done"), done.content.decode()[:2000]
    return invitee


def invite_and_join(
    admin: Client,
    *,
    name: str,
    email: str,
    role: str,
    username: str,
    mobile: str,
    sms_outbox: list,
    capture,
) -> User:
    link = invite(admin, name=name, email=email, role=role, capture=capture)
    accept(link, username=username, mobile=mobile, sms_outbox=sms_outbox, capture=capture)
    return User.objects.get(username=username)


def signed_in(username: str, password: str = PASSWORD) -> Client:
    """A client signed in through the real login page (username + password + CAPTCHA)."""
    client = Client()
    response = client.post(
        reverse("accounts:login"),
        {"iec": username, "password": password, "captcha_0": "x", "captcha_1": "PASSED"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return client
