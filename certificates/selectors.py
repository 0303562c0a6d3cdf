"""Reads: certificates for the people allowed to see them, issuance delays for the queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts import firms
from accounts.models import User
from accounts.permissions import is_verified_officer_of, may_revoke
from applications.models import Application, Invoice, LineItem, Status
from applications.workflow import UNFINISHED
from core.storage import open_verified

from .models import Certificate, IssuanceAttempt


def certificate_pdf_bytes(certificate: Certificate) -> bytes:
    """The stored signed PDF, only if its bytes still hash to the register's SHA-256.

    Every view that hands the file out reads it here: a file changed in storage (a fault, an
    intruder) is refused with StoredFileCorruptedError, which reaches the error log and its
    alert, instead of being served as authentic.
    """
    with open_verified(certificate.pdf, sha256=certificate.sha256) as stored:
        return stored.read()


def application_for_certificate(*, application_id: int) -> Application:
    """Everything the certificate prints, in four queries (row, items with their cost sheets,
    the sheets' materials, invoices)."""
    return (
        Application.objects.select_related(
            "agreement",
            "agency",
            "office",
            "firm",
            "assigned_officer__officer_profile",
            "replaces",
            "certified_copy_of",
        )
        .prefetch_related(
            Prefetch("items", queryset=LineItem.objects.select_related("cost_sheet")),
            "items__cost_sheet__materials",
            Prefetch("invoices", queryset=Invoice.objects.order_by("date")),
        )
        .get(pk=application_id)
    )


def application_page_path(reference: str) -> str:
    """The exporter's page of an application."""
    return reverse("applications:detail", kwargs={"reference": reference})


# ---------------------------------------------------------------------------------------------
# Who may see or act on a certificate
# ---------------------------------------------------------------------------------------------


def user_may_revoke(user: User, certificate: Certificate) -> bool:
    """The permissions module's answer for this certificate's agency."""
    return may_revoke(user, certificate.application.agency_id)


def _certificates() -> QuerySet[Certificate]:
    return Certificate.objects.select_related(
        "application",
        "office__agency",
        "superseded_by__application",
        "revoked_by",
    )


def certificate_get_for_viewer(*, key: str, user: User) -> Certificate:
    """A certificate by its number or its application's reference, for the exporter who owns
    it or a second-factor-verified officer of the issuing agency. Everyone else gets the same
    404 as for a number that does not exist."""
    certificate = _certificates().filter(Q(number=key) | Q(application__reference=key)).first()
    if certificate is None:
        raise Http404("No such certificate")
    if firms.may(user, certificate.application.firm_id, firms.Capability.VIEW):
        return certificate
    if is_verified_officer_of(user, certificate.application.agency_id):
        return certificate
    raise Http404("No such certificate")


def certificate_get_for_revoker(*, number: str, user: User) -> Certificate:
    """A certificate an officer may revoke; 404 for anyone else (no hint that it exists)."""
    certificate = _certificates().filter(number=number).first()
    if certificate is None or not user.is_authenticated:
        raise Http404("No such certificate")
    if not user.is_superuser and not is_verified_officer_of(
        user, certificate.application.agency_id
    ):
        raise Http404("No such certificate")
    return certificate


def certificate_get_for_exporter(*, number: str, user: User) -> Certificate:
    certificate = (
        _certificates()
        .filter(number=number, application__firm_id__in=firms.firm_ids_for(user))
        .first()
    )
    if certificate is None:
        raise Http404("No such certificate")
    return certificate


# ---------------------------------------------------------------------------------------------
# Issuance delays (for the application page and the officer queue)
# ---------------------------------------------------------------------------------------------


def _final_failure() -> Exists:
    return Exists(IssuanceAttempt.objects.filter(application=OuterRef("pk"), final=True))


def applications_annotate_issuance_delayed(qs: QuerySet[Application]) -> QuerySet[Application]:
    """Adds `issuance_delayed` (bool): approved, still without a certificate, and the last
    retry of the issuance task failed. One subquery, no extra query per row."""
    return qs.annotate(issuance_delayed=Q(status=Status.APPROVED) & _final_failure())


# The longest an issuance task waits for its next retry (tasks.py backs off to 600 s).
RETRY_WAIT_SECONDS = 600


def applications_issuance_stuck(
    *, agency_id: int | None = None, now: datetime | None = None
) -> QuerySet[Application]:
    """APPROVED applications without a certificate that nothing is working on: approved more
    than ISSUANCE_STUCK_SECONDS ago, no attempt started since then, no retry waiting (a failed
    attempt whose backoff may not have run out) and retries not exhausted (those are flagged
    apart and need the operator). What is left was lost: approved while the broker was down
    and the outbox message lost, or its worker killed mid-issue. The sweep queues these again
    and the dashboard lists them."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ISSUANCE_STUCK_SECONDS)
    attempts = IssuanceAttempt.objects.filter(application=OuterRef("pk"))
    retry_waiting = attempts.filter(
        succeeded=False,
        final=False,
        abandoned=False,
        finished_at__gte=cutoff - timedelta(seconds=RETRY_WAIT_SECONDS),
    )
    stuck = Application.objects.filter(
        status=Status.APPROVED, certificate__isnull=True, decided_at__lt=cutoff
    ).exclude(Exists(attempts.filter(started_at__gte=cutoff)) | Exists(retry_waiting))
    stuck = stuck.exclude(_final_failure())
    if agency_id is not None:
        stuck = stuck.filter(agency_id=agency_id)
    return stuck.order_by("decided_at", "pk")


def issuance_delayed(application: Application) -> bool:
    if application.status != Status.APPROVED:
        return False
    return IssuanceAttempt.objects.filter(application=application, final=True).exists()


# ---------------------------------------------------------------------------------------------
# The certificate panel on the application page
# ---------------------------------------------------------------------------------------------


RECENT_VERIFICATIONS_SHOWN = 10


@dataclass(frozen=True)
class CertificatePanel:
    application: Application
    certificate: Certificate | None
    delayed: bool
    verification_count: int
    last_verified_at: datetime | None
    replacement: Application | None  # an open in-lieu request for this certificate
    copy_request: Application | None = None  # an open request for a certified true copy
    copies: tuple[Certificate, ...] = ()  # certified true copies issued of this certificate
    # The latest lookups by verifiers: when, and by which channel (never who or from where).
    recent_verifications: tuple[Any, ...] = ()

    @property
    def being_issued(self) -> bool:
        return self.certificate is None and self.application.status == Status.APPROVED

    @property
    def verification_count_above_limit(self) -> bool:
        return self.verification_count > VERIFICATION_COUNT_LIMIT

    @property
    def verification_count_limit(self) -> int:
        return VERIFICATION_COUNT_LIMIT


# The application page counts a certificate's lookups up to this, then says "more than".
VERIFICATION_COUNT_LIMIT = 1000


def certificate_panel_for(application: Application) -> CertificatePanel:
    """What the application page shows about its certificate, in at most five queries, and
    none before approval (there is nothing to show yet)."""
    if application.status not in {Status.APPROVED, Status.ISSUED}:
        return CertificatePanel(
            application=application,
            certificate=None,
            delayed=False,
            verification_count=0,
            last_verified_at=None,
            replacement=None,
        )
    certificate = _certificates().filter(application=application).first()
    delayed = certificate is None and issuance_delayed(application)
    count, last, replacement = 0, None, None
    copy_request: Application | None = None
    copies: tuple[Certificate, ...] = ()
    recent: tuple[Any, ...] = ()
    if certificate is not None:
        # Counted up to a bound (a certificate may be looked up a million times): the page
        # says "more than 1,000" past it. One query reads the newest times from the index.
        newest = certificate.verifications.order_by("-created_at").values_list(
            "created_at", flat=True
        )
        times = list(newest[: VERIFICATION_COUNT_LIMIT + 1])
        count, last = len(times), (times[0] if times else None)
        recent = tuple(
            certificate.verifications.order_by("-created_at", "-pk")[:RECENT_VERIFICATIONS_SHOWN]
        )
        # Its open correction, its open request for a certified true copy and the copies
        # issued, in one query.
        related = list(
            Application.objects.filter(
                Q(replaces=certificate, status__in=UNFINISHED) | Q(certified_copy_of=certificate)
            )
            .select_related("certificate")
            .order_by("-created_at")
        )
        replacement = next((a for a in related if a.replaces_id == certificate.pk), None)
        copy_request = next(
            (a for a in related if a.certified_copy_of_id and a.status in UNFINISHED), None
        )
        copies = tuple(
            a.certificate
            for a in related
            if a.certified_copy_of_id and a.status == Status.ISSUED and hasattr(a, "certificate")
        )
    return CertificatePanel(
        application=application,
        certificate=certificate,
        delayed=delayed,
        verification_count=count,
        last_verified_at=last,
        replacement=replacement,
        copy_request=copy_request,
        copies=copies,
        recent_verifications=recent,
    )
