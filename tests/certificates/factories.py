"""Applications ready for approval, and the helpers the issuance tests share."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from applications.models import AgencyOffice, Application, TradeAgreement
from certificates.models import Certificate
from review.services import application_approve
from tests import factories


def application_under_review(
    *, exporter: User, officer: User, office: AgencyOffice, items: int = 2, **fields: Any
) -> Application:
    """A complete application that `officer` is reviewing (the state approval starts from)."""
    application = factories.ApplicationFactory(
        complete=True,
        exporter=exporter,
        office=office,
        status="under_review",
        assigned_officer=officer,
        **fields,
    )
    factories.InvoiceFactory(application=application, number="AE/2026/0042")
    for position in range(1, items + 1):
        factories.LineItemFactory(application=application, position=position)
    return application


def self_declaration_draft(
    exporter: Any, office: AgencyOffice, tepa: TradeAgreement, **fields: Any
) -> Application:
    """A complete India-EFTA draft to Switzerland on the self-declaration route, its documents
    uploaded, its statement not yet signed."""
    application = factories.ApplicationFactory(
        complete=True,
        exporter=exporter,
        certificate_type="preferential",
        agreement=tepa,
        destination_country="CH",
        consignee_country="CH",
        consignee_name="Alpen Handels AG",
        consignee_address="Bahnhofstrasse 1, Zurich",
        office=office,
        **fields,
    )
    factories.InvoiceFactory(application=application, number="EXP/2026/0042")
    factories.LineItemFactory(application=application, position=1, origin_criterion="WO")
    factories.DocumentFactory(application=application, kind="commercial_invoice")
    factories.DocumentFactory(application=application, kind="packing_list")
    return application


def approve(application: Application, django_capture_on_commit_callbacks: Any) -> None:
    """Approve as the assigned officer and run what approval queues after commit (the
    issuance task, in-process as on the embedded default)."""
    with django_capture_on_commit_callbacks(execute=True):
        application_approve(application_id=application.pk, officer=application.assigned_officer)


def issued_certificate(
    application: Application, django_capture_on_commit_callbacks: Any
) -> Certificate:
    approve(application, django_capture_on_commit_callbacks)
    return Certificate.objects.get(application=application)
