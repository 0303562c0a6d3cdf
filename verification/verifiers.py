"""Who acts for a verifier organisation (a customs authority or a bank)."""

from __future__ import annotations

from accounts.models import User

from .models import VerifierMember, VerifierOrganisation


def verifier_organisation_of(user: User) -> VerifierOrganisation | None:
    """The confirmed organisation the user acts for, or None (also for anyone whose role is not
    a verifier's: an exporter or officer never acts for an importing authority)."""
    if not user.is_authenticated or user.role != User.Role.VERIFIER:
        return None
    member = (
        VerifierMember.objects.select_related("organisation")
        .filter(user=user, organisation__confirmed_at__isnull=False)
        .first()
    )
    return member.organisation if member else None
