"""The transparency log: every issue, replacement and revocation is a leaf, heads are signed and
published, the API carries inclusion proofs, and the offline checker verifies them."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from applications.models import Application
from certificates import keys
from certificates.services import (
    certificate_request_replacement,
    certificate_revoke,
)
from tests.certificates.factories import application_under_review, approve, issued_certificate
from tests.factories import pdf_bytes
from verification import logcheck, transparency
from verification.models import LogLeaf, LogNode, SignedTreeHead, TransparencyLog
from verification.tasks import transparency_heads_publish

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
REASON = "Goods found to be of non-originating content on inspection."


@pytest.fixture(autouse=True)
def signing_keys(settings, tmp_path):
    """As in tests/certificates: an empty keys folder each, and nothing loaded."""
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    keys.clear_caches()
    yield settings.SIGNING_KEYS_DIR
    keys.clear_caches()


@pytest.fixture
def eic_key(signing_keys):
    keys.ensure_agency_key("EIC", "Export Inspection Council")


@pytest.fixture
def certificate(alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks):
    application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    return issued_certificate(application, django_capture_on_commit_callbacks)


def api_answer(client, certificate) -> dict:
    url = reverse("verification:api-certificate", args=[certificate.number])
    response = client.get(url, {"code": certificate.verification_code})
    assert response.status_code == 200
    return response.json()


def events(log: TransparencyLog) -> list[tuple[str, str]]:
    return [
        (json.loads(entry)["number"], event)
        for entry, event in LogLeaf.objects.filter(log=log).values_list("entry", "event")
    ]


def test_issuing_a_certificate_appends_its_leaf_with_both_hashes(certificate):
    log = TransparencyLog.objects.get(agency__code="EIC")
    leaf = LogLeaf.objects.get(log=log)
    entry = json.loads(leaf.entry)
    jwt = certificate.credential.jwt
    assert (leaf.index, leaf.event, log.size) == (0, "issued", 1)
    assert entry["number"] == certificate.number
    assert (
        entry["pdf_sha256"]
        == certificate.sha256
        == hashlib.sha256(pdf_bytes(certificate)).hexdigest()
    )
    assert entry["credential_sha256"] == hashlib.sha256(jwt.encode()).hexdigest()
    assert leaf.leaf_hash == hashlib.sha256(b"\x00" + leaf.entry.encode()).hexdigest()


def test_revocation_and_replacement_are_appended_in_order(
    certificate, alice, olivia, ada, django_capture_on_commit_callbacks
):
    draft = certificate_request_replacement(
        certificate_id=certificate.pk, exporter=alice, reason="The consignee's address was wrong."
    )
    Application.objects.filter(pk=draft.pk).update(status="under_review", assigned_officer=olivia)
    draft.refresh_from_db()
    approve(draft, django_capture_on_commit_callbacks)
    replacement = draft.certificate
    certificate_revoke(certificate_id=replacement.pk, actor=ada, reason=REASON)

    log = TransparencyLog.objects.get(agency__code="EIC")
    assert events(log) == [
        (certificate.number, "issued"),
        (replacement.number, "replacement"),
        (certificate.number, "superseded"),
        (replacement.number, "revoked"),
    ]
    assert log.size == 4
    assert list(LogLeaf.objects.filter(log=log).values_list("index", flat=True)) == [0, 1, 2, 3]


def test_a_refused_revocation_leaves_no_leaf(certificate, bob):
    from certificates.services import CertificateError

    with pytest.raises(CertificateError):
        certificate_revoke(certificate_id=certificate.pk, actor=bob, reason=REASON)
    assert LogLeaf.objects.filter(event="revoked").count() == 0


def test_the_beat_task_signs_a_head_only_when_the_log_grew(certificate, client):
    assert transparency_heads_publish() == 1
    assert transparency_heads_publish() == 0
    head = SignedTreeHead.objects.get()
    assert head.tree_size == 1

    response = client.get(reverse("verification:log-head", kwargs={"agency": "EIC"}))
    assert response.status_code == 200
    document = response.json()
    assert document["tree_size"] == 1
    assert document["sha256_root_hash"] == LogLeaf.objects.get().leaf_hash  # one leaf: its hash
    jwks = client.get(reverse("verification:jwks")).json()
    logcheck.head_check(document, logcheck._keys(jwks))


def test_the_api_says_pending_until_a_head_covers_the_leaf_then_gives_the_proof(
    certificate, client
):
    before = api_answer(client, certificate)["transparency"]
    assert before["signed_tree_head"] is None
    assert before["leaves"][0]["inclusion_proof"] is None

    transparency_heads_publish()
    after = api_answer(client, certificate)["transparency"]
    assert after["signed_tree_head"]["tree_size"] == 1
    assert after["leaves"][0]["inclusion_proof"] == {"tree_size": 1, "audit_path": []}


def write(path: Path, document: object) -> str:
    path.write_text(json.dumps(document))
    return str(path)


def run_logcheck(*args: str) -> subprocess.CompletedProcess[str]:
    """The checker as an outside monitor runs it: a fresh Python that cannot import Django."""
    code = (
        "import sys; sys.modules['django'] = None; "
        "from verification.logcheck import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_the_offline_checker_verifies_an_issued_certificate_and_its_pdf(
    certificate, ada, client, tmp_path, django_capture_on_commit_callbacks
):
    # A second leaf, so that the audit paths are not empty.
    certificate_revoke(certificate_id=certificate.pk, actor=ada, reason=REASON)
    transparency_heads_publish()
    answer = api_answer(client, certificate)
    pdf = client.get(
        reverse("verification:pdf", args=[certificate.number]),
        {"code": certificate.verification_code},
    )
    assert pdf.status_code == 200
    (tmp_path / "certificate.pdf").write_bytes(pdf.content)
    keys = write(tmp_path / "jwks.json", client.get(reverse("verification:jwks")).json())

    checked = run_logcheck(
        "inclusion",
        write(tmp_path / "answer.json", answer),
        "--keys",
        keys,
        "--pdf",
        str(tmp_path / "certificate.pdf"),
    )
    assert checked.returncode == 0, checked.stderr
    assert "leaf 0 (issued" in checked.stdout
    assert "leaf 1 (revoked" in checked.stdout
    assert checked.stdout.endswith("OK\n")

    # Another file, or a leaf edited in the answer, fails.
    (tmp_path / "other.pdf").write_bytes(b"%PDF-1.7 another file")
    other = run_logcheck(
        "inclusion",
        str(tmp_path / "answer.json"),
        "--keys",
        keys,
        "--pdf",
        str(tmp_path / "other.pdf"),
    )
    assert other.returncode == 1
    assert "not the one the log recorded" in other.stderr
    leaf = answer["transparency"]["leaves"][1]
    leaf["leaf"] = leaf["leaf"].replace("revoked", "issued")
    edited = run_logcheck("inclusion", write(tmp_path / "edited.json", answer), "--keys", keys)
    assert edited.returncode == 1


def _sign_now(client, agency: str = "EIC") -> dict:
    transparency.head_sign(agency_code=agency)
    return client.get(reverse("verification:log-head", kwargs={"agency": agency})).json()


def _rewrite_history(log: TransparencyLog) -> None:
    """What an operator hiding a certificate would do: take a leaf out and rebuild the tree."""
    entries = list(
        LogLeaf.objects.filter(log=log).order_by("index").values_list("entry", flat=True)
    )
    LogLeaf.objects.filter(log=log).delete()
    LogNode.objects.filter(log=log).delete()
    TransparencyLog.objects.filter(pk=log.pk).update(size=0)
    log.refresh_from_db()
    now = transparency.timezone.now()
    kept = entries[:1] + entries[2:]
    transparency._append(log, [transparency._NewLeaf(None, "issued", e, now) for e in kept])


def test_the_offline_checker_accepts_two_honest_heads_and_refuses_a_rewritten_history(
    certificate,
    alice,
    olivia,
    eic_mumbai,
    ada,
    client,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    for _ in range(2):
        application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
        issued_certificate(application, django_capture_on_commit_callbacks)
    first = _sign_now(client)
    certificate_revoke(certificate_id=certificate.pk, actor=ada, reason=REASON)
    application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    issued_certificate(application, django_capture_on_commit_callbacks)
    second = _sign_now(client)
    assert (first["tree_size"], second["tree_size"]) == (3, 5)
    keys = write(tmp_path / "jwks.json", client.get(reverse("verification:jwks")).json())
    url = reverse("verification:log-consistency", kwargs={"agency": "EIC"})
    proof = client.get(url, {"first": 3, "second": 5}).json()

    honest = run_logcheck(
        "consistency",
        write(tmp_path / "first.json", first),
        write(tmp_path / "second.json", second),
        write(tmp_path / "proof.json", proof),
        "--keys",
        keys,
    )
    assert honest.returncode == 0, honest.stderr
    assert "consistent" in honest.stdout

    log = TransparencyLog.objects.get(agency__code="EIC")
    _rewrite_history(log)
    application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    issued_certificate(application, django_capture_on_commit_callbacks)
    third = _sign_now(client)
    assert third["tree_size"] == 5
    proof = client.get(url, {"first": 3, "second": 5}).json()
    rewritten = run_logcheck(
        "consistency",
        str(tmp_path / "first.json"),
        write(tmp_path / "third.json", third),
        write(tmp_path / "proof2.json", proof),
        "--keys",
        keys,
    )
    assert rewritten.returncode == 1
    assert "history was rewritten" in rewritten.stderr


def test_a_head_with_a_changed_size_fails_its_signature(certificate, client):
    head = _sign_now(client)
    keys = logcheck._keys(client.get(reverse("verification:jwks")).json())
    with pytest.raises(logcheck.CheckFailedError, match="differs from what its signature covers"):
        logcheck.head_check({**head, "tree_size": 7}, keys)


def test_the_public_endpoints_answer_bad_requests_plainly(certificate, client):
    transparency_heads_publish()
    url = reverse("verification:log-inclusion", kwargs={"agency": "EIC"})
    assert client.get(url, {"leaf_index": 0, "tree_size": 1}).json()["audit_path"] == []
    assert client.get(url, {"leaf_index": 1, "tree_size": 1}).status_code == 400
    assert client.get(url, {"leaf_index": "x"}).status_code == 400
    other = reverse("verification:log-head", kwargs={"agency": "NOPE"})
    assert client.get(other).status_code == 404
    leaves = reverse("verification:log-leaves", kwargs={"agency": "EIC"})
    listed = client.get(leaves, {"start": 0, "end": 10}).json()["leaves"]
    assert [leaf["leaf_index"] for leaf in listed] == [0]


def test_the_public_endpoints_are_rate_limited(certificate, client):
    settings_rate = settings.VERIFY_RATE
    limit = int(settings_rate.split("/")[0])
    url = reverse("verification:log-head", kwargs={"agency": "EIC"})
    statuses = [client.get(url).status_code for _ in range(limit + 1)]
    assert statuses[-1] == 429


def test_the_api_answer_costs_at_most_six_queries_however_long_the_log(
    certificate,
    alice,
    olivia,
    eic_mumbai,
    client,
    settings,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    settings.VERIFY_CACHE_SECONDS = 0
    application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    issued_certificate(application, django_capture_on_commit_callbacks)
    transparency_heads_publish()
    api_answer(client, certificate)  # the database's one-time feature probes
    # The answer's row, the lookup's log row (with the savepoint around it: test_query_budget),
    # and at most four for the transparency log.
    with django_assert_max_num_queries(8):
        api_answer(client, certificate)
    for _ in range(6):
        application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
        issued_certificate(application, django_capture_on_commit_callbacks)
    transparency_heads_publish()
    with django_assert_max_num_queries(8):
        answer = api_answer(client, certificate)
    assert len(answer["transparency"]["leaves"][0]["inclusion_proof"]["audit_path"]) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuances_append_in_one_total_order(
    alice,
    olivia,
    eic_mumbai,
    eic_key,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    from django.db import connection

    from certificates.services import certificate_issue
    from certificates.tasks import issue_certificate_task
    from tests.concurrency import run_together
    from verification import merkle

    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL")
    monkeypatch.setattr(issue_certificate_task, "apply_async", lambda *args, **kwargs: None)
    applications = [
        application_under_review(exporter=alice, officer=olivia, office=eic_mumbai, items=1)
        for _ in range(8)
    ]
    for application in applications:
        approve(application, django_capture_on_commit_callbacks)
    queue = iter(applications)
    take = threading.Lock()

    def issue_next() -> str:
        with take:
            application = next(queue)
        return certificate_issue(application_id=application.pk).number

    results = run_together(8, issue_next)

    assert [r for r in results if isinstance(r, Exception)] == []
    log = TransparencyLog.objects.get(agency__code="EIC")
    leaves = list(LogLeaf.objects.filter(log=log).order_by("index"))
    assert log.size == 8
    assert [leaf.index for leaf in leaves] == list(range(8))
    assert sorted(json.loads(leaf.entry)["number"] for leaf in leaves) == sorted(results)
    hashes = [bytes.fromhex(leaf.leaf_hash) for leaf in leaves]
    level1 = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in range(0, 8, 2)]
    level2 = [merkle.node_hash(level1[0], level1[1]), merkle.node_hash(level1[2], level1[3])]
    assert transparency.log_root(log, 8) == merkle.node_hash(*level2)


def test_celery_beat_signs_the_heads_on_a_schedule():
    from coo_portal.celery import app as celery_app

    schedule = celery_app.conf.beat_schedule["transparency log heads"]
    assert schedule["task"] == "verification.tasks.transparency_heads_publish"
    assert schedule["schedule"] == settings.TRANSPARENCY_HEAD_SECONDS


# ---------------------------------------------------------------------------------------------
# A log whose stored size points past missing leaves (issue 32, item 4)
# ---------------------------------------------------------------------------------------------


def test_the_frontier_is_what_the_next_append_reads():
    assert transparency.frontier(0) == []
    assert transparency.frontier(1) == [(0, 0)]
    # 6 = 4 + 2: the subtrees [0, 4) and [4, 6), and the last leaf.
    assert transparency.frontier(6) == [(0, 5), (1, 2), (2, 0)]
    assert transparency.frontier(7) == [(0, 6), (1, 2), (2, 0)]


def test_a_log_pointing_past_deleted_leaves_refuses_the_next_change_plainly(
    certificate, ada, client
):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    log = TransparencyLog.objects.get(agency__code="EIC")
    assert client.get("/readyz").json()["checks"]["transparency_log"] == "ok"
    # What a TRUNCATE of the certificates cascading to the leaves leaves behind.
    LogLeaf.objects.filter(log=log).delete()

    with pytest.raises(transparency.TransparencyLogBrokenError) as refused:
        certificate_revoke(certificate_id=certificate.pk, actor=ada, reason=REASON)
    assert "The transparency log of EIC says it holds 1 leaves, but leaf 0 is not stored" in str(
        refused.value
    )
    certificate.refresh_from_db()
    assert certificate.status == "valid"  # the change the log cannot show did not happen
    assert TransparencyLog.objects.get(pk=log.pk).size == 1

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["failing"] == ["transparency_log"]
    with pytest.raises(SystemCheckError, match=r"verification\.E001"):
        call_command("check", "--database", "default")
