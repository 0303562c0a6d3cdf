"""Officers managed in the portal by their agency's administrator (issue 31).

- invite: an officer account without a usable password or authenticator, and an email with a
  link (OfficerInvitationToken, three days, dead once used); the officer chooses a password
  there, then at the first sign-in sets up an authenticator app (accounts.officer_enrol, the
  same page as an administrator's first sign-in);
- change the office, deactivate and reactivate, reset the authenticator (every device removed;
  the officer sets up a new one at the next sign-in);
- every step is an OfficerEvent (actor, action, detail, time) in the same transaction.

Each write checks that the actor administers the officer's agency: another agency's officer is
"not found", as on every other agency page. `create_officer` (a management command for scripts)
stays as it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from reference.models import AgencyOffice

from .models import OfficerEvent, OfficerProfile, User
from .notifications import email_send
from .permissions import is_agency_admin
from .services import AccountError
from .tokens import officer_invitation_token

logger = logging.getLogger(__name__)


class OfficerNotFoundError(AccountError):
    """No officer of the administrator's agency has this id."""


@dataclass(frozen=True)
class Invited:
    officer: User
    link: str  # the only place the link exists outside the email


def _name(user: User) -> str:
    return user.get_full_name() or user.username


def _record(officer: User, actor: User, action: str, detail: str = "") -> OfficerEvent:
    return OfficerEvent.objects.create(officer=officer, actor=actor, action=action, detail=detail)


def _agency_id_of(admin: User) -> int:
    if not is_agency_admin(admin):
        raise AccountError("Only an agency administrator manages officers.")
    return admin.officer_profile.agency_id


def _office_of(admin: User, office_id: int) -> AgencyOffice:
    office = AgencyOffice.objects.filter(pk=office_id, agency_id=_agency_id_of(admin)).first()
    if office is None:
        raise AccountError("Choose an office of your agency.")
    return office


def agency_officers_for_admin(*, admin: User) -> QuerySet[User]:
    """The officers and administrators of the admin's agency, with profile, office and whether
    they have a confirmed authenticator and the other offices they serve (four queries)."""
    return (
        User.objects.filter(officer_profile__agency_id=_agency_id_of(admin))
        .select_related("officer_profile__office")
        .prefetch_related(
            "officer_profile__other_offices",
            Prefetch(
                "totpdevice_set",
                queryset=TOTPDevice.objects.filter(confirmed=True),
                to_attr="confirmed_devices",
            ),
        )
        .order_by("-is_active", "first_name", "last_name", "username")
    )


def officer_for_admin(*, admin: User, officer_id: int) -> User:
    """An officer of the admin's agency (not the admin themselves), or OfficerNotFoundError."""
    officer = (
        User.objects.filter(
            pk=officer_id,
            officer_profile__agency_id=_agency_id_of(admin),
            role=User.Role.OFFICER,
        )
        .select_related("officer_profile__office")
        .first()
    )
    if officer is None:
        raise OfficerNotFoundError("No such officer.")
    return officer


def officer_events(*, officer: User) -> QuerySet[OfficerEvent]:
    return OfficerEvent.objects.filter(officer=officer).select_related("actor")


def invitation_link(officer: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(officer.pk))
    token = officer_invitation_token.make_token(officer)
    return f"{settings.SITE_URL}{reverse('accounts:officer-invitation', args=[uid, token])}"


@transaction.atomic
def officer_invite(
    *,
    admin: User,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    office_id: int,
    designation: str = "Certifying Officer",
) -> Invited:
    """A new officer of the admin's agency at `office_id`, who cannot sign in until they follow
    the emailed link (password) and set up an authenticator. Side effect: the email, through
    the outbox (sent after commit)."""
    office = _office_of(admin, office_id)
    username = username.strip()
    email = email.strip().lower()
    validate_email(email)
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(f"The username {username} is taken. Choose another.")
    officer = User(
        username=username,
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=User.Role.OFFICER,
    )
    officer.set_unusable_password()
    officer.save()
    OfficerProfile.objects.create(
        user=officer,
        agency_id=office.agency_id,
        office=office,
        designation=designation.strip() or "Certifying Officer",
        must_enrol=True,
    )
    _record(officer, admin, OfficerEvent.Action.INVITED, f"at {office.name}, {email}")
    link = invitation_link(officer)
    email_send(
        to=email,
        template="officer_invitation",
        context={
            "name": _name(officer),
            "inviter": _name(admin),
            "agency": office.agency.name,
            "office": office.name,
            "username": officer.username,
            "link": link,
            "days": officer_invitation_token.days,
        },
    )
    logger.info("officer %s invited by %s", officer.username, admin.username)
    return Invited(officer=officer, link=link)


@transaction.atomic
def officer_invitation_accept(*, officer: User, password: str) -> User:
    """The invited officer's password (the link's token dies with it). Their first sign-in
    then sets up the authenticator."""
    validate_password(password, officer)
    officer.set_password(password)
    officer.save(update_fields=["password"])
    _record(officer, officer, OfficerEvent.Action.ACCEPTED)
    return officer


@transaction.atomic
def officer_office_change(*, admin: User, officer_id: int, office_id: int) -> User:
    officer = officer_for_admin(admin=admin, officer_id=officer_id)
    office = _office_of(admin, office_id)
    profile = officer.officer_profile
    if profile.office_id == office.pk:
        return officer
    before = profile.office.name
    profile.office = office
    profile.save(update_fields=["office", "updated_at"])
    _record(officer, admin, OfficerEvent.Action.OFFICE_CHANGED, f"{before} -> {office.name}")
    return officer


@transaction.atomic
def officer_other_offices_set(*, admin: User, officer_id: int, office_ids: list[int]) -> User:
    """The other offices of the agency the officer serves (besides the one they are posted
    at): their queue and the office's notifications cover these too. Audited."""
    officer = officer_for_admin(admin=admin, officer_id=officer_id)
    profile = officer.officer_profile
    offices = [_office_of(admin, pk) for pk in sorted(set(office_ids)) if pk != profile.office_id]
    before = sorted(o.code for o in profile.other_offices.all())
    after = sorted(o.code for o in offices)
    if before == after:
        return officer
    profile.other_offices.set(offices)
    detail = f"{', '.join(before) or 'none'} -> {', '.join(after) or 'none'}"
    _record(officer, admin, OfficerEvent.Action.OFFICES_CHANGED, detail)
    return officer


@transaction.atomic
def officer_deactivate(*, admin: User, officer_id: int) -> User:
    """The officer can no longer sign in; a session they have open ends at their next request
    (Django's backend refuses inactive users). Applications they hold stay assigned: the
    administrator reassigns them from the review page."""
    officer = officer_for_admin(admin=admin, officer_id=officer_id)
    if officer.is_active:
        officer.is_active = False
        officer.save(update_fields=["is_active"])
        _record(officer, admin, OfficerEvent.Action.DEACTIVATED)
    return officer


@transaction.atomic
def officer_reactivate(*, admin: User, officer_id: int) -> User:
    officer = officer_for_admin(admin=admin, officer_id=officer_id)
    if not officer.is_active:
        officer.is_active = True
        officer.save(update_fields=["is_active"])
        _record(officer, admin, OfficerEvent.Action.REACTIVATED)
    return officer


@transaction.atomic
def officer_authenticator_reset(*, admin: User, officer_id: int) -> User:
    """Every authenticator of the officer is removed: the old one no longer signs in, and the
    officer sets up a new one after the password at their next sign-in."""
    officer = officer_for_admin(admin=admin, officer_id=officer_id)
    TOTPDevice.objects.filter(user=officer).delete()
    OfficerProfile.objects.filter(user=officer).update(must_enrol=True)
    _record(officer, admin, OfficerEvent.Action.AUTHENTICATOR_RESET)
    return officer


@transaction.atomic
def officer_enrolment_complete(*, user: User, device: TOTPDevice) -> None:
    """The authenticator the user just confirmed at sign-in (accounts.officer_auth)."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    updated = OfficerProfile.objects.filter(user=user, must_enrol=True).update(must_enrol=False)
    if updated:
        _record(user, user, OfficerEvent.Action.ENROLLED)
