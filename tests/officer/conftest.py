"""Officer-side fixtures: a signed-in, second-factor-verified test client, and applications
filed with EIC Mumbai by Alice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import User
from applications.models import Application
from tests.clients import verified_client

from .factories import submitted_application


@pytest.fixture
def officer_client(db) -> Callable[[User], Client]:
    return verified_client


@pytest.fixture
def alice(alice: User) -> User:
    # The exporter's mobile, where decisions are sent by SMS.
    alice.mobile = "+919812345678"
    alice.save(update_fields=["mobile"])
    return alice


@pytest.fixture
def make_application(alice: User, eic_mumbai) -> Callable[..., Application]:
    def make(**kwargs: object) -> Application:
        kwargs.setdefault("exporter", alice)
        kwargs.setdefault("office", eic_mumbai)
        return submitted_application(**kwargs)

    return make


@pytest.fixture
def submitted(make_application) -> Application:
    return make_application()


@pytest.fixture(autouse=True)
def issuance_calls(monkeypatch) -> list[int]:
    """Certificate issuance is the certificates app's business (signing keys, PDFs): here it
    is an edge, recorded instead of run."""
    from certificates.tasks import issue_certificate_task

    calls: list[int] = []
    monkeypatch.setattr(
        issue_certificate_task, "apply_async", lambda args, **kwargs: calls.extend(args)
    )
    return calls
