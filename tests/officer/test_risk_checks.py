"""Risk checks on the review page, each explained in a sentence, and an approval over a flag
that asks for the officer's reason and puts it on the timeline (issue 31)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import workflow
from applications.models import DocumentKind, HSCode, Invoice, LineItem, Status
from review import services
from review.risks import application_risks
from review.selectors import application_for_risks

from .factories import document_for


def risks_of(application):
    return application_risks(application_for_risks(application_id=application.pk))


def labels(application):
    return [risk.label for risk in risks_of(application)]


def under_review(make_application, officer, **kwargs):
    application = make_application(**kwargs)
    workflow.application_start_review(application_id=application.pk, officer=officer)
    return application


def reuse_invoice(application, number):
    Invoice.objects.filter(application=application).update(number=number)


# -- the newcomer's case ------------------------------------------------------------------------


def test_a_second_application_with_a_used_invoice_number_is_flagged_and_asks_for_a_reason(
    make_application, olivia, officer_client
):
    first = make_application(status=Status.ISSUED, decided_at=timezone.now())
    reuse_invoice(first, "INV/26/0001")
    second = under_review(make_application, olivia)
    reuse_invoice(second, "INV/26/0001")
    client = officer_client(olivia)

    page = client.get(reverse("officer:review", args=[second.reference])).content.decode()
    assert "Invoice used before" in page
    assert f"Invoice INV/26/0001 is also on {first.reference}, open or issued" in page
    assert "Reason for approving over the risk flags" in page

    refused = client.post(reverse("officer:approve", args=[second.reference]), {"remark": ""})
    assert refused.status_code == 400
    assert services.MISSING_REASON in refused.content.decode()
    second.refresh_from_db()
    assert second.status == Status.UNDER_REVIEW

    client.post(
        reverse("officer:approve", args=[second.reference]),
        {"override_reason": "Split shipment: the invoice covers two sailings.", "remark": "OK"},
    )
    second.refresh_from_db()
    assert second.status == Status.APPROVED
    event = second.events.filter(to_status=Status.APPROVED).get()
    assert event.actor == olivia
    assert event.note == (
        "Approved over 1 risk flag (Invoice used before). "
        "Reason: Split shipment: the invoice covers two sailings.\n\nOK"
    )
    timeline = client.get(reverse("officer:review", args=[second.reference])).content.decode()
    assert "Split shipment: the invoice covers two sailings." in timeline


def test_the_service_refuses_an_approval_over_a_flag_without_a_reason(make_application, olivia):
    first = make_application()
    second = under_review(make_application, olivia)
    reuse_invoice(first, "X-1")
    reuse_invoice(second, "X-1")

    with pytest.raises(workflow.WorkflowError, match="reason"):
        services.application_approve_reviewed(application_id=second.pk, officer=olivia)
    second.refresh_from_db()
    assert second.status == Status.UNDER_REVIEW


def test_an_application_without_risks_is_approved_without_a_reason(
    make_application, olivia, officer_client
):
    application = under_review(make_application, olivia)
    client = officer_client(olivia)

    page = client.get(reverse("officer:review", args=[application.reference])).content.decode()
    assert "No risk found" in page
    assert "Reason for approving over the risk flags" not in page
    client.post(reverse("officer:approve", args=[application.reference]), {"remark": "Fine"})

    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert application.events.get(to_status=Status.APPROVED).note == "Fine"


# -- the same invoice or bill of lading -------------------------------------------------------


def test_a_draft_or_withdrawn_application_with_the_invoice_is_no_risk(make_application):
    application = make_application()
    reuse_invoice(application, "D-1")
    for status in (Status.DRAFT, Status.WITHDRAWN):
        reuse_invoice(make_application(status=status), "D-1")

    assert risks_of(application) == []


def test_another_firms_invoice_with_the_same_number_is_no_risk(make_application, bob):
    application = make_application()
    reuse_invoice(application, "1")
    reuse_invoice(make_application(exporter=bob), "1")

    assert risks_of(application) == []


def test_the_same_invoice_at_another_agency_is_flagged_without_its_details(
    make_application, fieo_delhi
):
    elsewhere = make_application(office=fieo_delhi)
    application = make_application()
    reuse_invoice(elsewhere, "E-7")
    reuse_invoice(application, "E-7")

    [risk] = risks_of(application)
    assert risk.label == "Applied for at another agency"
    assert risk.detail == (
        "Invoice E-7 is also on an open or issued application at another issuing agency."
    )
    assert elsewhere.reference not in risk.detail
    assert "FIEO" not in risk.detail


def test_a_consignment_refused_recently_here_or_elsewhere_is_flagged(make_application, fieo_delhi):
    now = timezone.now()
    here = make_application(status=Status.REJECTED, decided_at=now - dt.timedelta(days=10))
    there = make_application(
        office=fieo_delhi, status=Status.REJECTED, decided_at=now - dt.timedelta(days=20)
    )
    long_ago = make_application(status=Status.REJECTED, decided_at=now - dt.timedelta(days=400))
    application = make_application()
    for refused in (here, there, long_ago):
        reuse_invoice(refused, "R-1")
    reuse_invoice(application, "R-1")

    found = {risk.label: risk.detail for risk in risks_of(application)}
    assert found == {
        "Refused recently": f"Invoice R-1 was on {here.reference}, refused here in the last "
        "180 days.",
        "Refused at another agency": "Invoice R-1 was on an application refused by another "
        "issuing agency in the last 180 days.",
    }


def test_the_same_bill_of_lading_file_of_any_firm_is_flagged(make_application, bob, fieo_delhi):
    application = make_application()
    document_for(application, DocumentKind.BILL_OF_LADING)
    other = make_application(exporter=bob, office=fieo_delhi)
    document_for(other, DocumentKind.BILL_OF_LADING)  # the same bytes, so the same SHA-256

    [risk] = risks_of(application)
    assert risk.label == "Applied for at another agency"
    assert risk.detail.startswith("Bill of lading (bill_of_lading.pdf) is also on an open")


# -- HS chapter and description ---------------------------------------------------------------


@pytest.fixture
def chapter_61(db):
    HSCode.objects.get_or_create(
        code="61",
        defaults={
            "description": "Apparel and clothing accessories; knitted or crocheted",
            "level": 2,
        },
    )
    HSCode.objects.get_or_create(
        code="6109",
        defaults={
            "description": "T-shirts, singlets and other vests; knitted or crocheted",
            "level": 4,
            "parent": "61",
        },
    )


def test_a_description_that_fits_the_chapter_is_no_risk(make_application, chapter_61):
    application = make_application()  # "Cotton knitted T-shirts" under 6109...

    assert risks_of(application) == []


def test_a_description_with_no_word_of_the_chapter_is_flagged(make_application, chapter_61):
    application = make_application()
    LineItem.objects.filter(application=application).update(description="Frozen shrimps")

    [risk] = risks_of(application)
    assert risk.label == "Item 1: HS chapter and description differ"
    assert "None of the words of \u201cFrozen shrimps\u201d is in the headings of chapter 61" in (
        risk.detail
    )


def test_a_chapter_the_reference_data_lacks_is_not_judged(make_application):
    application = make_application()
    LineItem.objects.filter(application=application).update(description="Frozen shrimps")

    assert risks_of(application) == []


# -- values against the firm's history --------------------------------------------------------


def test_a_value_far_above_the_firms_history_is_flagged(make_application):
    for _ in range(3):  # 4800 USD for 125.5 kg each: about 38.25 USD per kg
        make_application(status=Status.ISSUED, decided_at=timezone.now())
    application = make_application()
    LineItem.objects.filter(application=application).update(fob_value=Decimal("480000"))

    [risk] = risks_of(application)
    assert risk.label == "Item 1: value far from the firm's history"
    assert risk.detail == (
        "USD 3,824.70 per kg is over 5 times the firm's usual USD 38.25 per kg for "
        f"{application.items.get().hs_code} (the median of 3 earlier items approved or issued)."
    )


def test_a_value_with_too_little_history_or_near_it_is_no_risk(make_application):
    for _ in range(2):
        make_application(status=Status.ISSUED, decided_at=timezone.now())
    far = make_application()
    LineItem.objects.filter(application=far).update(fob_value=Decimal("480000"))
    assert risks_of(far) == []  # two earlier items are not a history

    make_application(status=Status.ISSUED, decided_at=timezone.now())
    near = make_application()
    LineItem.objects.filter(application=near).update(fob_value=Decimal("9000"))
    assert risks_of(near) == []
