"""Certificate numbers: gapless per office and year, taken in a transaction of their own.

The office's counter row is locked only while one number is counted and its reservation
(CertificateReservation, the certificate "issuing") is written: a few milliseconds, however
long the certificate then takes to render and sign. A rolled-back reservation gives its number
back; a committed one is reused by every later attempt for the same application.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from applications.models import AgencyOffice, Application
from core.counters import counter_next

from .models import CertificateCounter, CertificateReservation


class CertificateNumber(NamedTuple):
    number: str
    sequence: int


def certificate_number_format(*, office: AgencyOffice, year: int, sequence: int) -> str:
    """EIC/2026/MUM/0000123"""
    return f"{office.agency.code}/{year}/{office.code}/{sequence:07d}"


def certificate_number_allocate(*, office: AgencyOffice, year: int) -> CertificateNumber:
    """The next number of the office and year. Must run inside the transaction that records
    it: the counter row stays locked until it commits, and a rollback returns the number, so
    numbers are neither skipped nor handed out twice."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("certificate_number_allocate() must run inside transaction.atomic().")
    sequence = counter_next(CertificateCounter, office=office, year=year)
    number = certificate_number_format(office=office, year=year, sequence=sequence)
    return CertificateNumber(number=number, sequence=sequence)


def certificate_number_reserve(*, application: Application, code: str) -> CertificateReservation:
    """The application's reservation: the one it already has, else a new number with `code`.

    Call with the application row locked, in a transaction that does nothing slow after this
    (the office's counter stays locked until it commits)."""
    existing = CertificateReservation.objects.filter(application=application).first()
    if existing is not None:
        return existing
    year = timezone.localdate().year
    allocated = certificate_number_allocate(office=application.office, year=year)
    return CertificateReservation.objects.create(
        application=application,
        office=application.office,
        year=year,
        sequence=allocated.sequence,
        number=allocated.number,
        verification_code=code,
    )
