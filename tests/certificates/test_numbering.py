"""Certificate numbers: per office and year, consecutive, never duplicated, never skipped."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from applications.models import AgencyOffice
from certificates.models import Certificate, CertificateCounter
from certificates.numbering import certificate_number_allocate
from certificates.services import certificate_issue
from tests import concurrency, factories

from .factories import application_under_review, approve

YEAR = timezone.localdate().year


def allocate(office: AgencyOffice, year: int = YEAR) -> str:
    with transaction.atomic():
        return certificate_number_allocate(office=office, year=year).number


@pytest.mark.django_db
def test_numbers_name_the_agency_the_year_and_the_office(eic_mumbai):
    assert allocate(eic_mumbai, 2026) == "EIC/2026/MUM/0000001"
    assert allocate(eic_mumbai, 2026) == "EIC/2026/MUM/0000002"


@pytest.mark.django_db
def test_each_office_and_each_year_counts_on_its_own(eic, eic_mumbai):
    kolkata = factories.OfficeFactory(agency=eic, code="KOL", name="EIA Kolkata", city="Kolkata")
    allocate(eic_mumbai, 2026)
    allocate(eic_mumbai, 2026)

    assert allocate(kolkata, 2026) == "EIC/2026/KOL/0000001"
    assert allocate(eic_mumbai, 2027) == "EIC/2027/MUM/0000001"
    assert allocate(eic_mumbai, 2026) == "EIC/2026/MUM/0000003"


@pytest.mark.django_db
def test_a_rolled_back_transaction_gives_its_number_back(eic_mumbai):
    def issue_and_fail() -> None:
        with transaction.atomic():
            certificate_number_allocate(office=eic_mumbai, year=2026)
            raise RuntimeError("signing failed")

    with pytest.raises(RuntimeError):
        issue_and_fail()

    assert allocate(eic_mumbai, 2026) == "EIC/2026/MUM/0000001"


@pytest.mark.django_db(transaction=True)
def test_allocating_outside_a_transaction_is_refused(eic_mumbai):
    with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        certificate_number_allocate(office=eic_mumbai, year=2026)


# ---------------------------------------------------------------------------------------------
# Real concurrency (PostgreSQL)
# ---------------------------------------------------------------------------------------------


def run_together(count: int, work: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    """tests.concurrency.run_together, its results split into values and exceptions."""
    outcomes = concurrency.run_together(count, work)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    return [o for o in outcomes if not isinstance(o, BaseException)], errors


@pytest.mark.postgres
@concurrency.needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_allocations_give_twenty_consecutive_numbers(eic_mumbai):
    # No counter row yet: the threads also race to create it.
    numbers, errors = run_together(20, lambda: allocate(eic_mumbai, 2026))

    assert errors == []
    assert sorted(numbers) == [f"EIC/2026/MUM/{n:07d}" for n in range(1, 21)]
    assert CertificateCounter.objects.get(office=eic_mumbai, year=2026).last == 20


@pytest.mark.postgres
@concurrency.needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_issuances_for_one_office_get_consecutive_numbers(
    alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks, monkeypatch
):
    from certificates.tasks import issue_certificate_task

    monkeypatch.setattr(issue_certificate_task, "apply_async", lambda *args, **kwargs: None)
    applications = [
        application_under_review(exporter=alice, officer=olivia, office=eic_mumbai, items=1)
        for _ in range(20)
    ]
    for application in applications:
        approve(application, django_capture_on_commit_callbacks)
    queue = iter(applications)
    take = threading.Lock()

    def issue_next() -> str:
        with take:
            application = next(queue)
        return certificate_issue(application_id=application.pk).number

    numbers, errors = run_together(20, issue_next)

    assert errors == []
    assert sorted(numbers) == [f"EIC/{YEAR}/MUM/{n:07d}" for n in range(1, 21)]
    assert Certificate.objects.count() == 20


@pytest.mark.postgres
@concurrency.needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_the_same_issuance_run_twice_at_once_issues_one_certificate(
    alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks, monkeypatch
):
    from certificates.tasks import issue_certificate_task

    monkeypatch.setattr(issue_certificate_task, "apply_async", lambda *args, **kwargs: None)
    application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    approve(application, django_capture_on_commit_callbacks)

    numbers, errors = run_together(2, lambda: certificate_issue(application_id=application.pk))

    assert errors == []
    assert len({c.pk for c in numbers}) == 1
    assert Certificate.objects.filter(application=application).count() == 1
    assert CertificateCounter.objects.get(office=eic_mumbai, year=YEAR).last == 1
