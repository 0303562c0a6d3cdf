"""Verifier organisations and utilisation: importing customs record that a certificate was used.

A customs authority or a bank is a VerifierOrganisation; platform staff confirm it
(`verifier_organisation_confirm`) before anyone acting for it may record anything. A confirmed
verifier records an import (`utilisation_record`): bill of entry number, date, port, the item
and the quantity. Under an agreement whose certificate covers one import
(TradeAgreement.single_import: India-UAE CEPA) a second claim is refused; elsewhere several
imports may share an item's quantity, and a claim past what is left is refused. A refused claim
is kept and the issuing agency's administrators are emailed (durable outbox, after commit). The
verification page and API show the recorded imports to the next verifier: a recorded claim
forgets the kept answer (verification.store), inside its transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import OfficerProfile, User
from accounts.notifications import email_send
from applications.events import application_event_record
from applications.models import LineItem
from certificates.models import Certificate

from .answers import verify_path
from .models import Utilisation, VerifierOrganisation
from .services import verification_answer_forget
from .subscriptions import subscriptions_notify
from .verifiers import verifier_organisation_of

__all__ = ["verifier_organisation_of"]  # kept importable from here (pages, API)


class UtilisationError(Exception):
    """A refused action, before anything is recorded. The message is for the person acting."""


@transaction.atomic
def verifier_organisation_confirm(*, organisation_id: int, staff: User) -> VerifierOrganisation:
    """Platform staff confirm an organisation (idempotent: the first confirmation stands)."""
    if not (staff.is_staff and staff.is_active):
        raise UtilisationError("Only platform staff may confirm a verifier organisation.")
    organisation = VerifierOrganisation.objects.select_for_update().get(pk=organisation_id)
    if organisation.confirmed_at is None:
        organisation.confirmed_at = timezone.now()
        organisation.confirmed_by = staff
        organisation.save(update_fields=["confirmed_at", "confirmed_by", "updated_at"])
    return organisation


def _refusal(
    certificate: Certificate, item: LineItem, quantity: Decimal
) -> tuple[str, Utilisation | None]:
    """Why the claim cannot be recorded ("" if it can), and the import it collides with."""
    recorded = Utilisation.objects.filter(
        certificate=certificate, outcome=Utilisation.Outcome.RECORDED
    ).select_related("organisation")
    agreement = certificate.application.agreement
    if agreement is not None and agreement.single_import:
        first = recorded.first()
        if first is not None:
            return (
                f"Under {agreement.name} a certificate of origin covers one import, and "
                f"certificate {certificate.number} was used for entry {first.entry_number} at "
                f"{first.port} on {first.entry_date:%d %b %Y}.",
                first,
            )
        if quantity > item.quantity:
            return (f"Item {item.position} covers {item.quantity} {item.unit} only.", None)
        return "", None
    used = recorded.filter(item_position=item.position).aggregate(total=Sum("quantity"))["total"]
    left = item.quantity - (used or Decimal(0))
    if quantity > left:
        return (
            f"Item {item.position} covers {item.quantity} {item.unit}; {left} {item.unit} "
            "are left after the imports recorded already.",
            None,
        )
    return "", None


@transaction.atomic
def utilisation_record(
    *,
    certificate_id: int,
    user: User,
    entry_number: str,
    entry_date: dt.date,
    port: str,
    item_position: int,
    quantity: Decimal,
) -> Utilisation:
    """Record an import on a certificate, or a refused claim (outcome REFUSED, with its reason,
    and the issuing agency's administrators emailed after commit). Raises UtilisationError,
    recording nothing, if the user acts for no confirmed organisation, the certificate is not
    valid, the item does not exist or the organisation recorded this entry already. The
    certificate's row is locked, so two claims on a one-import certificate cannot both pass."""
    organisation = verifier_organisation_of(user)
    if organisation is None:
        raise UtilisationError("Only a confirmed verifier organisation may record an import.")
    certificate = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("application__agreement", "application__agency")
        .get(pk=certificate_id)
    )
    if certificate.status != Certificate.Status.VALID:
        raise UtilisationError(
            f"Certificate {certificate.number} is {certificate.get_status_display().lower()}: "
            "it cannot cover an import."
        )
    item = LineItem.objects.filter(
        application_id=certificate.application_id, position=item_position
    ).first()
    if item is None:
        raise UtilisationError(f"Certificate {certificate.number} has no item {item_position}.")
    entry_number = entry_number.strip()
    if Utilisation.objects.filter(
        certificate=certificate,
        organisation=organisation,
        entry_number=entry_number,
        outcome=Utilisation.Outcome.RECORDED,
    ).exists():
        raise UtilisationError(f"Entry {entry_number} is recorded on this certificate already.")
    reason, _first = _refusal(certificate, item, quantity)
    claim = Utilisation.objects.create(
        certificate=certificate,
        organisation=organisation,
        recorded_by=user,
        entry_number=entry_number,
        entry_date=entry_date,
        port=port.strip(),
        item_position=item_position,
        quantity=quantity,
        outcome=Utilisation.Outcome.REFUSED if reason else Utilisation.Outcome.RECORDED,
        refusal_reason=reason,
    )
    if reason:
        application_event_record(
            application_id=certificate.application_id,
            note=(
                f"A second import was claimed on certificate {certificate.number} by "
                f"{organisation.name} (entry {entry_number}, {claim.port}) and refused: {reason}"
            ),
        )
        _alert_agency(certificate, claim)
    else:
        application_event_record(
            application_id=certificate.application_id,
            note=(
                f"Certificate {certificate.number} used for import entry {entry_number} at "
                f"{claim.port} on {entry_date:%d %b %Y} ({quantity} of item {item_position}), "
                f"recorded by {organisation.name}."
            ),
        )
        # The next verifier must see this import: the kept answer is forgotten (Redis down:
        # the claim rolls back rather than be hidden behind a stale answer).
        verification_answer_forget(number=certificate.number)
        subscriptions_notify(certificate_id=certificate.pk, event="utilised")
    return claim


def _alert_agency(certificate: Certificate, claim: Utilisation) -> None:
    """Email the issuing agency's active administrators of a refused claim (one each)."""
    admins = User.objects.filter(
        pk__in=OfficerProfile.objects.filter(agency=certificate.application.agency).values(
            "user_id"
        ),
        role=User.Role.AGENCY_ADMIN,
        is_active=True,
    ).exclude(email="")
    context = {
        "certificate": certificate,
        "claim": claim,
        "agency": certificate.application.agency,
        "verify_url": settings.SITE_URL + verify_path(certificate),
    }
    for admin in admins:
        email_send(to=admin.email, template="utilisation_refused", context=context)


def utilisations_recorded(certificate: Certificate) -> list[Utilisation]:
    """The imports recorded on a certificate, first first (one query)."""
    return list(
        Utilisation.objects.filter(
            certificate=certificate, outcome=Utilisation.Outcome.RECORDED
        ).select_related("organisation")
    )
