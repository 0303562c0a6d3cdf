"""Accounts fixtures: an IEC ready to register, and helpers that read the outboxes."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import IECRecord
from tests import factories

STRONG_PASSWORD = "Monsoon-Harbour-7731"

LINK_RE = re.compile(r"https?://\S+/accounts/(?:register/verify|password-reset)/[^/\s]+/[^/\s]+/")
CODE_RE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def ready_iec(db) -> IECRecord:
    """An active IEC in the registry, not yet registered: Chitra's firm."""
    return factories.IECRecordFactory(
        iec="AAGCC4821K",
        firm_name="Chitra Coir Works",
        email="coo@chitra-coir.example",
        mobile="+919847012345",
    )


def link_from_mail(index: int = -1) -> str:
    match = LINK_RE.search(mail.outbox[index].body)
    assert match, mail.outbox[index].body
    return match.group(0)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def code_from_sms(outbox: list, index: int = -1) -> str:
    match = CODE_RE.search(outbox[index].body)
    assert match, outbox[index].body
    return match.group(1)


def registration_data(record: IECRecord, **overrides: str) -> dict[str, str]:
    data = {
        "iec": record.iec,
        "email": record.email,
        "mobile": record.mobile[3:],
        "captcha_0": "x",
        "captcha_1": "PASSED",
    }
    data.update(overrides)
    return data


def login_data(iec: str, password: str, **overrides: str) -> dict[str, str]:
    data = {"iec": iec, "password": password, "captcha_0": "x", "captcha_1": "PASSED"}
    data.update(overrides)
    return data
