"""A certificate's states and the changes between them: one table, as the applications'
workflow has (applications/workflow.py TRANSITIONS).

    valid -> revoked      an administrator of the issuing agency revokes it, with a reason
    valid -> superseded   a certificate issued in lieu of it takes its place
    valid                 its exporter asks for a replacement in lieu (the state stays)
    valid                 its exporter asks for a certified true copy of a lost original
                          (the state stays: the original remains valid beside its copy)

Revoked and superseded are final. A certificate revoked while its replacement was being
issued stays revoked: superseding it only records its successor (services._supersede).
The services ask `refusal` before changing anything; templates ask the model's `is_valid`,
`is_revoked` and `is_superseded`, never a literal status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from .models import Certificate

State = Certificate.Status


class CertificateAction(StrEnum):
    REVOKE = "revoke"
    SUPERSEDE = "supersede"
    REPLACE = "replace"
    COPY = "copy"


@dataclass(frozen=True)
class Rule:
    sources: frozenset[State]
    target: State | None  # None: the state stays as it is
    refused: str  # the end of the refusal: "only a valid certificate can be revoked."


TRANSITIONS: Mapping[CertificateAction, Rule] = {
    CertificateAction.REVOKE: Rule(
        frozenset({State.VALID}), State.REVOKED, "only a valid certificate can be revoked."
    ),
    CertificateAction.SUPERSEDE: Rule(
        frozenset({State.VALID}), State.SUPERSEDED, "only a valid certificate is superseded."
    ),
    CertificateAction.REPLACE: Rule(
        frozenset({State.VALID}), None, "only a valid certificate can be replaced."
    ),
    CertificateAction.COPY: Rule(
        frozenset({State.VALID}), None, "a certified true copy is made of a valid certificate only."
    ),
}
FINAL: frozenset[State] = frozenset(State) - {
    source for rule in TRANSITIONS.values() for source in rule.sources
}


def refusal(certificate: Certificate, action: CertificateAction) -> str:
    """Why `action` may not be taken on `certificate` now, for the person acting; "" if it may."""
    rule = TRANSITIONS[action]
    if certificate.status in rule.sources:
        return ""
    status = certificate.get_status_display().lower()
    return f"Certificate {certificate.number} is {status}; {rule.refused}"


def target(action: CertificateAction) -> State | None:
    return TRANSITIONS[action].target
