"""/verify/credential/ and the offline checker (python -m verification.vc_check) accept the
portal's credential and refuse, with the reason, one with a changed claim, one signed by
another key and one whose status bit is set."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from jwcrypto import jwk, jws

from applications.models import Application
from certificates.credential import credential_sign
from certificates.models import Certificate, Credential
from certificates.services import certificate_request_replacement, certificate_revoke
from tests import credentials as vc
from tests.certificates.factories import application_under_review, approve, issued_certificate
from verification.models import VerificationLog
from verification.vc_check import REASONS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eic_signing_key")]

URL = "/verify/credential/"


@pytest.fixture
def certificate(alice, olivia, eic_mumbai, django_capture_on_commit_callbacks) -> Certificate:
    application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    return issued_certificate(application, django_capture_on_commit_callbacks)


@pytest.fixture
def genuine(certificate, client) -> str:
    """The credential as a verifier gets it: from the verification page, by number + code."""
    path = reverse("verification:credential-download", args=[certificate.number])
    response = client.get(path, {"code": certificate.verification_code})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+jwt"
    return response.content.decode()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def with_changed_claim(token: str) -> str:
    header, _, signature = token.split(".")
    claims = vc.payload_of(token)
    claims["credentialSubject"]["items"][0]["quantity"]["value"] = "5000"
    return ".".join([header, b64(json.dumps(claims).encode()), signature])


def signed_by_another_key(token: str) -> str:
    """The same header (kid and all) and claims, signed with a key the portal never had."""
    other = jwk.JWK.generate(kty="EC", crv="P-256")
    signed = jws.JWS(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    signed.add_signature(other, protected=json.dumps(vc.header_of(token)))
    return signed.serialize(compact=True)


def check_on_page(client, token: str) -> str:
    response = client.post(URL, {"credential": token})
    assert response.status_code == 200
    return response.content.decode()


# -- the web page ------------------------------------------------------------------------------


def test_the_genuine_credential_is_valid_with_the_registers_facts_beside_it(
    client, certificate, genuine
):
    page = check_on_page(client, genuine)

    assert "Valid credential" in page
    assert "Not revoked" in page
    assert "The credential beside the register" in page
    assert page.count(certificate.number) >= 2  # the credential's and the register's
    assert page.count(certificate.sha256) == 2


def test_a_credential_uploaded_as_a_file_is_checked_too(client, genuine):
    upload = SimpleUploadedFile("c.jwt", genuine.encode(), content_type="application/vc+jwt")

    response = client.post(URL, {"upload": upload})

    assert "Valid credential" in response.content.decode()


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [(with_changed_claim, "signature_invalid"), (signed_by_another_key, "signature_invalid")],
    ids=["a changed claim", "another key"],
)
def test_a_tampered_credential_is_refused_with_the_reason(client, genuine, tamper, reason):
    page = check_on_page(client, tamper(genuine))

    assert "Refused" in page
    assert REASONS[reason] in page.replace("&#x27;", "'")
    assert "Valid credential" not in page


def test_a_revoked_credential_is_refused_with_the_reason(client, certificate, genuine, ada):
    certificate_revoke(certificate_id=certificate.pk, actor=ada, reason="Origin not proven.")

    page = check_on_page(client, genuine)

    assert "Refused" in page
    assert REASONS["revoked"] in page.replace("&#x27;", "'")
    assert "Revoked (the bit is set)" in page


def test_a_superseded_certificates_credential_reads_superseded_not_revoked(
    client, certificate, genuine, alice, olivia, django_capture_on_commit_callbacks
):
    draft = certificate_request_replacement(
        certificate_id=certificate.pk, exporter=alice, reason="The consignee's address was wrong."
    )
    Application.objects.filter(pk=draft.pk).update(status="under_review", assigned_officer=olivia)
    draft.refresh_from_db()
    approve(draft, django_capture_on_commit_callbacks)

    page = check_on_page(client, genuine).replace("&#x27;", "'")

    assert "Refused" in page
    assert REASONS["superseded"] in page
    assert REASONS["revoked"] not in page


def test_a_credential_signed_by_the_agency_but_with_other_facts_than_the_register_is_refused(
    client, certificate, genuine
):
    """Signed with the agency's own key (an insider, a fault), so the signature holds; the
    facts are not the register's, so it does not stand for the certificate."""
    claims = vc.payload_of(genuine)
    claims["credentialSubject"]["items"][0]["quantity"]["value"] = "5000"
    forged = credential_sign(claims, agency_code="EIC")

    page = check_on_page(client, forged).replace("&#x27;", "'")

    assert "Refused" in page
    assert REASONS["pdf_mismatch"] in page


def test_a_credential_under_an_unknown_kid_is_refused(client, genuine):
    header = vc.header_of(genuine)
    header["kid"] = header["kid"].split("#")[0] + "#not-a-published-key"
    _, payload, signature = genuine.split(".")

    page = check_on_page(client, ".".join([b64(json.dumps(header).encode()), payload, signature]))

    assert REASONS["unknown_key"] in page.replace("&#x27;", "'")


def test_text_that_is_no_credential_gets_the_plain_reason(client):
    page = check_on_page(client, "not a credential")

    assert REASONS["malformed"] in page


def test_nothing_sent_asks_for_the_credential(client):
    response = client.post(URL, {})

    assert response.status_code == 400
    assert "Paste the credential or choose its file" in response.content.decode()


def test_the_check_is_rate_limited_like_the_other_channels(client, settings, genuine):
    settings.VERIFY_RATE = "3/m"
    with time_machine.travel(dt.datetime(2026, 3, 4, 11, 30, 5, tzinfo=dt.UTC), tick=False):
        answers = [client.post(URL, {"credential": "x"}).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]


def test_the_download_needs_the_right_code(client, certificate):
    path = reverse("verification:credential-download", args=[certificate.number])

    assert client.get(path, {"code": "WRONGCODE234"}).status_code == 404


# -- the offline checker -----------------------------------------------------------------------


@pytest.fixture
def published(client, genuine, tmp_path: Path) -> dict[str, Path]:
    """What a customs system downloads once: the JWKS and the status list."""
    jwks = tmp_path / "jwks.json"
    jwks.write_bytes(client.get("/.well-known/jwks.json").content)
    status_url = vc.status_entry(vc.payload_of(genuine))["statusListCredential"]
    status = tmp_path / "list.jwt"
    status.write_bytes(client.get(urlsplit(status_url).path).content)
    messages_url = vc.status_entry(vc.payload_of(genuine), "message")["statusListCredential"]
    messages = tmp_path / "messages.jwt"
    messages.write_bytes(client.get(urlsplit(messages_url).path).content)
    return {"jwks": jwks, "list": status, "messages": messages}


def run_checker(tmp_path: Path, token: str, jwks: Path, *status_lists: Path):
    credential = tmp_path / "credential.jwt"
    credential.write_text(token)
    # A process of its own, without Django settings: all it has is the files.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    lists = [arg for path in status_lists for arg in ("--status-list", str(path))]
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [
            *(sys.executable, "-m", "verification.vc_check", str(credential)),
            *("--jwks", str(jwks), *lists),
        ],
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        env=env,
        check=False,
    )


def test_the_checker_accepts_the_genuine_credential_offline(tmp_path, genuine, published):
    result = run_checker(tmp_path, genuine, published["jwks"], published["list"])

    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["valid"] is True
    assert verdict["revoked"] is False
    assert verdict["credential"]["credentialSubject"]["certificateNumber"].startswith("EIC/")


@pytest.mark.parametrize(
    "tamper", [with_changed_claim, signed_by_another_key], ids=["a changed claim", "another key"]
)
def test_the_checker_refuses_a_tampered_credential_with_the_reason(
    tmp_path, genuine, published, tamper
):
    result = run_checker(tmp_path, tamper(genuine), published["jwks"], published["list"])

    assert result.returncode == 1
    assert json.loads(result.stdout)["reason"] == "signature_invalid"
    assert "REFUSED: " + REASONS["signature_invalid"] in result.stderr


def test_the_checker_refuses_a_credential_whose_bit_is_set_on_the_downloaded_list(
    tmp_path, client, certificate, genuine, published, ada
):
    certificate_revoke(certificate_id=certificate.pk, actor=ada, reason="Origin not proven.")
    status_url = vc.status_entry(vc.payload_of(genuine))["statusListCredential"]
    published["list"].write_bytes(client.get(urlsplit(status_url).path).content)

    result = run_checker(tmp_path, genuine, published["jwks"], published["list"])

    assert result.returncode == 1
    assert json.loads(result.stdout)["reason"] == "revoked"
    assert "REFUSED: " + REASONS["revoked"] in result.stderr


def supersede(certificate, alice, olivia, capture) -> None:
    draft = certificate_request_replacement(
        certificate_id=certificate.pk, exporter=alice, reason="The consignee's name was misspelt."
    )
    Application.objects.filter(pk=draft.pk).update(status="under_review", assigned_officer=olivia)
    draft.refresh_from_db()
    approve(draft, capture)


def refetch(client, genuine, published) -> None:
    for name, purpose in (("list", "revocation"), ("messages", "message")):
        url = vc.status_entry(vc.payload_of(genuine), purpose)["statusListCredential"]
        published[name].write_bytes(client.get(urlsplit(url).path).content)


def test_the_message_list_tells_valid_revoked_and_superseded_apart(
    client, certificate, genuine, alice, olivia, ada, eic_mumbai, django_capture_on_commit_callbacks
):
    """Read with jwcrypto and by hand (tests/credentials.py), not with the portal's code."""
    other = issued_certificate(
        application_under_review(exporter=alice, officer=olivia, office=eic_mumbai),
        django_capture_on_commit_callbacks,
    )
    other_credential = vc.payload_of(Credential.objects.get(certificate=other).jwt)
    credential = vc.payload_of(genuine)
    assert vc.status_message(client, credential) == "valid"

    supersede(certificate, alice, olivia, django_capture_on_commit_callbacks)
    certificate_revoke(certificate_id=other.pk, actor=ada, reason="Origin not proven.")

    assert vc.status_message(client, credential) == "superseded"
    assert vc.status_message(client, other_credential) == "revoked"
    assert vc.status_bit(client, credential) is True
    assert vc.status_bit(client, other_credential) is True


def test_the_checker_reads_superseded_offline_from_the_message_list(
    tmp_path,
    client,
    certificate,
    genuine,
    published,
    alice,
    olivia,
    django_capture_on_commit_callbacks,
):
    supersede(certificate, alice, olivia, django_capture_on_commit_callbacks)
    refetch(client, genuine, published)

    result = run_checker(
        tmp_path, genuine, published["jwks"], published["list"], published["messages"]
    )

    assert result.returncode == 1
    assert json.loads(result.stdout)["reason"] == "superseded"
    assert "REFUSED: " + REASONS["superseded"] in result.stderr


def test_the_checker_reads_revoked_offline_for_a_revoked_certificate(
    tmp_path, client, certificate, genuine, published, ada
):
    certificate_revoke(certificate_id=certificate.pk, actor=ada, reason="Origin not proven.")
    refetch(client, genuine, published)

    result = run_checker(
        tmp_path, genuine, published["jwks"], published["list"], published["messages"]
    )

    assert result.returncode == 1
    assert json.loads(result.stdout)["reason"] == "revoked"


def test_the_checker_refuses_a_status_list_signed_by_another_key(tmp_path, genuine, published):
    forged = signed_by_another_key(published["list"].read_text())
    published["list"].write_text(forged)

    result = run_checker(tmp_path, genuine, published["jwks"], published["list"])

    assert result.returncode == 1
    assert json.loads(result.stdout)["reason"] == "status_list_invalid"


def test_the_checker_needs_only_the_standard_library_and_joserfc():
    source = (Path(django_settings.BASE_DIR) / "verification" / "vc_check.py").read_text()
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }

    assert imports - set(sys.stdlib_module_names) == {"joserfc"}


def test_each_check_is_logged_with_its_outcome_and_certificate(client, certificate, genuine):
    check_on_page(client, genuine)
    check_on_page(client, with_changed_claim(genuine))

    logged = list(
        VerificationLog.objects.filter(channel="credential").values_list(
            "outcome", "certificate_id"
        )
    )
    assert sorted(logged, key=str) == sorted(
        [("authentic", certificate.pk), ("refused", None)], key=str
    )


def test_the_check_reads_a_bounded_number_of_queries(
    client, genuine, fieo, django_assert_max_num_queries
):
    # Ten: the agencies (for the keys), the list's agency, its entries and revoked bits, the
    # credential, the certificate and its goods, the credential again with the facts it is
    # bound to (issue 28), and the log row; none per agency or per item.
    with django_assert_max_num_queries(10):
        page = check_on_page(client, genuine)

    assert "Valid credential" in page


def test_a_deeply_nested_forgery_is_refused_as_malformed_not_an_error(client):
    nested = b64(b"[" * 50_000 + b"]" * 50_000)

    page = check_on_page(client, f"{nested}.{nested}.c2ln")

    assert REASONS["malformed"] in page


# -- status lists that go stale, and the checker run as the README says ------------------------


def test_a_status_list_carries_a_short_life(published):
    claims = vc.payload_of(published["list"].read_text())

    valid_from = dt.datetime.fromisoformat(claims["validFrom"])
    valid_until = dt.datetime.fromisoformat(claims["validUntil"])

    assert dt.timedelta(hours=1) < valid_until - valid_from <= dt.timedelta(days=1)


def test_the_checker_refuses_a_stale_status_list(tmp_path, genuine, published):
    """A list kept past its validUntil (one from before a revocation, say) is refused, even
    though its bit is clear."""
    credential = tmp_path / "credential.jwt"
    credential.write_text(genuine)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    # in this process: the moved clock does not reach a subprocess
    from verification.vc_check import main

    with time_machine.travel(later, tick=False):
        code = main(
            [
                *(str(credential), "--jwks", str(published["jwks"])),
                *("--status-list", str(published["list"])),
            ]
        )

    assert code == 1


def test_the_check_the_page_runs_refuses_a_stale_list(client, genuine, published):
    """The page and the API call the same check_credential, with the list they serve (never
    older than an hour: STATUS_LIST_CACHE_SECONDS); kept two days, that list is refused."""
    from verification.vc_check import check_credential

    kept = published["list"].read_text()
    jwks = json.loads(published["jwks"].read_text())

    fresh = check_credential(genuine, jwks=jwks, status_list=lambda url: kept)
    stale = check_credential(
        genuine,
        jwks=jwks,
        status_list=lambda url: kept,
        now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2),
    )

    assert fresh.ok
    assert stale.reason == "status_list_stale"


def test_a_checker_whose_clock_runs_a_little_behind_the_signers_accepts_what_was_just_signed(
    genuine, published
):
    """The list (and the credential) were signed a moment ago; a verifier whose clock is 30 s
    behind, or a portal node behind the one that signed the kept list, still accepts them
    (CLOCK_SKEW). A clock minutes behind is not skew: the list is not valid yet for it."""
    from verification.vc_check import check_credential

    kept = published["list"].read_text()
    jwks = json.loads(published["jwks"].read_text())
    signed = dt.datetime.fromisoformat(vc.payload_of(kept)["validFrom"])

    behind = check_credential(
        genuine, jwks=jwks, status_list=lambda url: kept, now=signed - dt.timedelta(seconds=30)
    )
    far_behind = check_credential(
        genuine, jwks=jwks, status_list=lambda url: kept, now=signed - dt.timedelta(minutes=5)
    )

    assert behind.ok
    assert not far_behind.ok
    assert far_behind.reason in {"not_yet_valid", "status_list_stale"}


def test_bin_vc_check_runs_in_place(tmp_path, genuine, published):
    credential = tmp_path / "credential.jwt"
    credential.write_text(genuine)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHON"] = sys.executable
    script = Path(django_settings.BASE_DIR) / "bin" / "vc-check"

    result = subprocess.run(  # noqa: S603 - the checkout's own script, fixed arguments
        [
            *(str(script), str(credential)),
            *("--jwks", str(published["jwks"]), "--status-list", str(published["list"])),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["valid"] is True
