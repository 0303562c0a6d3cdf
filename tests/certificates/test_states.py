"""The certificate's state table (certificates/states.py): what each action accepts, and the
pages asking the model instead of comparing literal statuses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from certificates.models import Certificate
from certificates.states import FINAL, TRANSITIONS, CertificateAction, refusal, target

State = Certificate.Status
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize("status", list(State))
@pytest.mark.parametrize("action", list(CertificateAction))
def test_only_a_valid_certificate_may_change(status: State, action: CertificateAction) -> None:
    certificate = Certificate(number="EIC/2026/MUM/0000001", status=status)
    refused = refusal(certificate, action)
    if status == State.VALID:
        assert refused == ""
    else:
        label = certificate.get_status_display().lower()
        assert refused.startswith(f"Certificate EIC/2026/MUM/0000001 is {label};")


def test_the_table_says_where_each_action_leads() -> None:
    assert (
        target(CertificateAction.REVOKE),
        target(CertificateAction.SUPERSEDE),
        target(CertificateAction.REPLACE),
        target(CertificateAction.COPY),
    ) == (State.REVOKED, State.SUPERSEDED, None, None)
    assert frozenset({State.REVOKED, State.SUPERSEDED}) == FINAL
    assert set(TRANSITIONS) == set(CertificateAction)


@pytest.mark.parametrize(
    ("status", "flags"),
    [
        (State.VALID, (True, False, False)),
        (State.REVOKED, (False, True, False)),
        (State.SUPERSEDED, (False, False, True)),
    ],
)
def test_the_model_answers_for_templates(status: State, flags: tuple[bool, bool, bool]) -> None:
    certificate = Certificate(status=status)
    assert (certificate.is_valid, certificate.is_revoked, certificate.is_superseded) == flags


def test_no_template_compares_a_certificates_status_with_a_literal() -> None:
    literal = re.compile(r"""certificate\.status\s*[!=]=\s*["'](valid|revoked|superseded)["']""")
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in TEMPLATES.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line)
    ]
    assert found == []
