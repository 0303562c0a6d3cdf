"""Who is told of what: one table from each event to its recipients and their templates.

Every status change of an application or certificate, and every event a person has to act
on, has a row in NOTIFICATIONS. `notify()` is the only way the workflow, payments and
certificates send to people about an application: it resolves the row's recipients, queues
each email and SMS through accounts.notifications (the durable outbox, published after
commit), and returns a `Sent` listing exactly what was queued, to which (masked) address.
Pages build their "we have told ..." message from that `Sent`, never from a constant, so a
page claims only what was queued.

Recipients:
- EXPORTER: the exporter of the application; SMS only to a verified mobile.
- OFFICER: the officer holding the application, or, when nobody holds it, the agency's queue
  (the active officers of the application's office); email only.
- HOLDER: the officer holding the application, if any; email only.
- FIRM: for an application an agent filed (the exporter is then the agent's staff), the
  firm's administrators, so the IEC holder hears of what is filed in its name; email only.

- SIGNATORIES: each current signatory and administrator of the firm (never the person who
  asked), one message each, SMS to a verified mobile.

Templates are templates/emails/<name>_subject.txt, <name>.txt, <name>.html and
templates/sms/<name>.txt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from accounts.models import FirmRole, User
from accounts.notifications import email_send, sms_send

from .models import Application, PaymentNotice


class To(Enum):
    EXPORTER = "exporter"
    OFFICER = "officer"  # the holder, or the office's queue when nobody holds it
    HOLDER = "holder"  # the holder only
    FIRM = "firm"  # the firm's administrators, when an agent filed the application
    SUBMITTER = "submitter"  # the signatory who submitted it, when someone else filed it
    SIGNATORIES = "signatories"  # each of the firm's members who may declare and submit


@dataclass(frozen=True)
class Rule:
    to: To
    email: str
    sms: str | None = None  # SMS template, or None: this recipient gets email only


# event -> recipients -> email template -> SMS template. "released" (an officer gives an
# application back to the queue) tells nobody: the exporter sees no change of substance.
NOTIFICATIONS: dict[str, tuple[Rule, ...]] = {
    "submitted": (
        Rule(To.EXPORTER, "application_submitted", "application_submitted"),
        Rule(To.FIRM, "application_submitted"),
        Rule(To.SUBMITTER, "application_submitted"),
    ),
    "under_review": (Rule(To.EXPORTER, "application_under_review", "application_under_review"),),
    "clarification_requested": (
        Rule(To.EXPORTER, "application_clarification", "application_clarification"),
        Rule(To.SUBMITTER, "application_clarification"),
    ),
    "resubmitted": (
        Rule(To.EXPORTER, "application_resubmitted", "application_resubmitted"),
        Rule(To.OFFICER, "officer_reply_received"),
    ),
    "withdrawn": (
        Rule(To.EXPORTER, "application_withdrawn", "application_withdrawn"),
        Rule(To.HOLDER, "officer_application_withdrawn"),
    ),
    "rejected": (
        Rule(To.EXPORTER, "application_rejected", "application_rejected"),
        Rule(To.FIRM, "application_rejected"),
        Rule(To.SUBMITTER, "application_rejected"),
    ),
    "approved": (
        Rule(To.EXPORTER, "application_approved", "application_approved"),
        Rule(To.FIRM, "application_approved"),
        Rule(To.SUBMITTER, "application_approved"),
    ),
    "issued": (
        Rule(To.EXPORTER, "certificate_issued", "certificate_issued"),
        Rule(To.FIRM, "certificate_issued"),
        Rule(To.SUBMITTER, "certificate_issued"),
    ),
    "paid": (Rule(To.EXPORTER, "payment_received", "payment_received"),),
    "revoked": (Rule(To.EXPORTER, "certificate_revoked", "certificate_revoked"),),
    "superseded": (Rule(To.EXPORTER, "certificate_superseded", "certificate_superseded"),),
    "assigned": (Rule(To.HOLDER, "officer_application_assigned"),),
    # A preparer's draft is ready: each signatory and administrator, by email and SMS.
    "ready_for_signature": (
        Rule(To.SIGNATORIES, "application_ready_for_signature", "application_ready_for_signature"),
    ),
    "released": (),
}


def masked_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def masked_mobile(number: str) -> str:
    return f"******{number[-4:]}" if len(number) >= 4 else "******"


@dataclass(frozen=True)
class Delivery:
    """One message queued: to whom (a person, or a queue of several), by which channel."""

    who: str  # a person's name, or "the officers of <office>"
    user_ids: tuple[int, ...]
    channel: str  # "email" or "sms"
    address: str  # masked; for a queue, the number of people
    outbox_ids: tuple[int, ...] = ()  # the outbox rows that carry it (one per person)


@dataclass(frozen=True)
class Sent:
    event: str
    deliveries: tuple[Delivery, ...] = field(default_factory=tuple)

    def to(self, user: User) -> list[Delivery]:
        return [d for d in self.deliveries if d.user_ids == (user.pk,)]

    def others(self, user: User) -> list[Delivery]:
        return [d for d in self.deliveries if d.user_ids != (user.pk,)]

    def message_for(self, viewer: User) -> str:
        """What the page tells `viewer`: their own addresses in full detail (masked), the
        others by name and channel; or that nothing was sent."""
        parts = []
        own = self.to(viewer)
        if own:
            parts.append(
                "We have sent you "
                + _and(
                    [
                        ("an email to " if d.channel == "email" else "a text message to ")
                        + d.address
                        for d in own
                    ]
                )
                + "."
            )
        by_who: dict[str, list[str]] = {}
        for d in self.others(viewer):
            by_who.setdefault(d.who, []).append("email" if d.channel == "email" else "SMS")
        for who, channels in by_who.items():
            comma = "," if ", " in who else ""  # "Olivia Rao, the officer reviewing it, has"
            parts.append(f"{who[:1].upper()}{who[1:]}{comma} {_told(who)} by {_and(channels)}.")
        return " ".join(parts) or "No email or text message was sent."


def _told(who: str) -> str:
    plural = who.startswith(("the officers", "the administrators"))
    return "have been told" if plural else "has been told"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _name(user: User) -> str:
    return user.get_full_name() or user.username


def verified_mobile(user: User) -> str:
    """The mobile an SMS may go to: an exporter's only once verified by an SMS code, at
    registration (the registrant) or on accepting the firm's invitation (a member)."""
    if not user.mobile:
        return ""
    if not user.is_exporter:
        return user.mobile
    profile = getattr(user, "exporter_profile", None)
    if profile is not None and profile.mobile_verified_at is not None:
        return user.mobile
    member = getattr(user, "firm_membership", None)
    if member is not None and member.mobile_verified_at is not None:
        return user.mobile
    return ""


def _officers(application: Application, to: To) -> tuple[str, list[User]]:
    holder = application.assigned_officer
    if holder is not None and holder.is_active:
        return f"{_name(holder)}, the officer reviewing it", [holder]
    if to is To.HOLDER:
        return "", []
    serving = Q(officer_profile__office_id=application.office_id) | Q(
        officer_profile__other_offices=application.office_id
    )
    queue = list(
        User.objects.filter(
            serving, is_active=True, role__in=[User.Role.OFFICER, User.Role.AGENCY_ADMIN]
        )
        .distinct()
        .order_by("pk")
    )
    return f"the officers of {application.office.name}", queue


def _context(application: Application, extra: dict[str, Any]) -> dict[str, Any]:
    exporter = application.exporter
    return {
        "application": application,
        "firm_name": _name(exporter),
        "application_url": settings.SITE_URL
        + reverse("applications:detail", args=[application.reference]),
        "review_url": settings.SITE_URL + reverse("officer:review", args=[application.reference]),
        "note": "",
        "filed_by": application.filed_by_text,
        **extra,
    }


def _firm_administrators(application: Application) -> tuple[str, list[User]]:
    """The firm's current administrators, for an application its agent filed."""
    if application.filed_by_agent_id is None:
        return "", []
    people = list(
        User.objects.filter(
            is_active=True,
            firm_membership__firm_id=application.firm_id,
            firm_membership__role=FirmRole.ADMINISTRATOR,
            firm_membership__removed_at__isnull=True,
        )
        .exclude(pk=application.exporter_id)
        .order_by("pk")
    )
    firm = application.firm.firm_name
    if len(people) == 1:
        return f"{_name(people[0])}, administrator of {firm}", people
    return f"the administrators of {firm}", people


def notify(event: str, application: Application, **extra: Any) -> Sent:
    """Queue every message the table names for `event` (after commit, through the outbox)
    and return what was queued."""
    context = _context(application, extra)
    deliveries: list[Delivery] = []
    told: set[int] = set()  # one message an event to each person, whatever their parts
    for rule in NOTIFICATIONS[event]:
        rule_context = context
        if rule.to is To.EXPORTER:
            who, people = "the exporter", [application.exporter]
        elif rule.to is To.FIRM:
            who, people = _firm_administrators(application)
            rule_context = {**context, "firm_name": application.firm.firm_name}
        elif rule.to is To.SUBMITTER:
            who, people = _submitter(application)
            rule_context = {**context, "firm_name": _name(people[0])} if people else context
        elif rule.to is To.SIGNATORIES:
            # One message each (their own name, their own mobile), not a queue's.
            for person in _signatories(application, exclude=told):
                told.add(person.pk)
                deliveries += _send(
                    rule,
                    f"{_name(person)}, {_role_words(person)}",
                    [person],
                    {**context, "firm_name": _name(person)},
                )
            continue
        else:
            who, people = _officers(application, rule.to)
        people = [person for person in people if person.pk not in told]
        told.update(person.pk for person in people)
        deliveries += _send(rule, who, people, rule_context)
    return Sent(event=event, deliveries=tuple(deliveries))


def _signatories(application: Application, exclude: set[int]) -> list[User]:
    """The firm's current members who may declare and submit (signatories, administrators)."""
    return list(
        User.objects.filter(
            is_active=True,
            firm_membership__firm_id=application.firm_id,
            firm_membership__role__in=[FirmRole.SIGNATORY, FirmRole.ADMINISTRATOR],
            firm_membership__removed_at__isnull=True,
        )
        .exclude(pk__in=exclude)
        .select_related("firm_membership", "exporter_profile")
        .order_by("pk")
    )


def _role_words(person: User) -> str:
    return person.firm_membership.get_role_display().lower()


def _submitter(application: Application) -> tuple[str, list[User]]:
    """The person who submitted the application, if not the one who filed it (a signatory
    submitting a preparer's draft), while their account is active."""
    person = application.submitted_by
    if person is None or person.pk == application.exporter_id or not person.is_active:
        return "", []
    return f"{_name(person)}, who submitted it", [person]


def _send(rule: Rule, who: str, people: Iterable[User], context: dict[str, Any]) -> list[Delivery]:
    people = [p for p in people if p.email]
    out: list[Delivery] = []
    if not people:
        return out
    ids = tuple(p.pk for p in people)
    # One email each: officers of a queue do not see each other's address.
    emails = tuple(
        email_send(to=person.email, template=rule.email, context=context).pk for person in people
    )
    address = masked_email(people[0].email) if len(people) == 1 else f"{len(people)} people"
    out.append(Delivery(who=who, user_ids=ids, channel="email", address=address, outbox_ids=emails))
    if rule.sms and len(people) == 1:
        mobile = verified_mobile(people[0])
        if mobile:
            sms = sms_send(to=mobile, template=rule.sms, context=context).pk
            out.append(
                Delivery(
                    who=who,
                    user_ids=ids,
                    channel="sms",
                    address=masked_mobile(mobile),
                    outbox_ids=(sms,),
                )
            )
    return out


def sent_for_payment(payment_id: int) -> Sent:
    """What the capture of a payment queued, read back from its outbox rows (PaymentNotice),
    so a page shown after the gateway's notification applied it still says what went out."""
    grouped: dict[tuple[str, str, tuple[int, ...], str], list[int]] = {}
    for notice in PaymentNotice.objects.filter(payment_id=payment_id).order_by("pk"):
        key = (notice.who, notice.channel, tuple(notice.user_ids), notice.address)
        grouped.setdefault(key, []).append(notice.outbox_id)
    return Sent(
        event="paid",
        deliveries=tuple(
            Delivery(who=w, user_ids=u, channel=c, address=a, outbox_ids=tuple(o))
            for (w, c, u, a), o in grouped.items()
        ),
    )
