"""Verification: answer "is this certificate genuine and still valid?" and log the question.

Every lookup writes one VerificationLog row (with Redis, queued and written in a batch a few
seconds later: verification/store.py; without it, kept in the process and written after the
response: verification/logbuffer.py). The client's address is kept only as an HMAC
with VERIFICATION_LOG_SALT, so the log can tell repeated lookups from one client apart without
ever holding the address itself.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django_ratelimit.exceptions import Ratelimited
from redis.exceptions import RedisError

from applications.models import Invoice, LineItem
from certificates.models import Certificate
from certificates.signals import CertificateChangeRefusedError
from core.durable.ratelimit import rate_counter_hit
from core.ratelimits import VERIFICATION_LOOKUP

from . import logbuffer, selectors, store, tasks
from .answers import DOCUMENT, KINDS, Answer, answer_facts, answer_from_facts
from .binding import pdf_credential_binds
from .models import VerificationLog
from .transparency import certificate_transparency

logger = logging.getLogger(__name__)

# Compared against when no certificate has the number, so that an unknown number and a wrong
# code take the same path through the code (one query, one constant-time comparison).
_DUMMY_CODE = "0" * 16
_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_number(number: str) -> str:
    """Numbers are printed upper-case (EIC/2026/MUM/0000123); accept them typed any way."""
    return number.strip().strip("/").upper()


def normalise_code(code: str) -> str:
    """Codes are upper-case letters and digits; people type spaces and dashes into them."""
    return _SEPARATORS.sub("", code).upper()


def client_hash(address: str) -> str:
    """HMAC-SHA256 of the client address: the only trace of the address that is stored."""
    salt = str(settings.VERIFICATION_LOG_SALT).encode()
    # hmac.digest: OpenSSL's one-shot HMAC, the same value as hmac.new(...).hexdigest() at a
    # third of its CPU (it runs on every lookup).
    return hmac.digest(salt, address.encode(), "sha256").hex()


def _log_row(*, channel: str, outcome: str, client: str) -> dict[str, str]:
    """A log row but for its certificate (the lookup script adds it when it finds one)."""
    now = timezone.now().isoformat()
    return {"channel": channel, "outcome": outcome, "client_hash": client, "created_at": now}


def _log(certificate_id: int | None, row: dict[str, str]) -> None:
    """One log row: queued in Redis when the fast path is on, else kept in the process and
    written after the response (verification/logbuffer.py)."""
    if store.enabled():
        try:
            _flush_soon(store.log_push(certificate_id=certificate_id, row=row))
            return
        except RedisError:
            logger.warning("Redis is unavailable: the lookup is logged to the database directly")
    logbuffer.add(certificate_id=certificate_id, row=row)


def _flush_soon(queued: int) -> None:
    # The first row of an empty queue schedules the flush that will take it and those that
    # follow; every 5,000th row schedules one more, in case a scheduled flush was lost.
    if queued == 1 or queued % 5000 == 0:
        tasks.verification_log_flush.apply_async(countdown=settings.VERIFY_LOG_FLUSH_SECONDS)


def _answer_from_database(number: str, code: str, kinds: frozenset[str] = KINDS) -> Answer | None:
    """One query (selectors.certificate_answer_row: the certificate, its goods and invoices),
    then the kinds of the answer asked for, each built once. The API's document also carries
    the certificate's transparency log leaves with their inclusion proofs (a few more queries,
    made only when an answer is built, not when a kept one is served)."""
    row = selectors.certificate_answer_row(number)
    expected = row["verification_code"] if row is not None else _DUMMY_CODE
    code_matches = hmac.compare_digest(expected.encode(), code.encode())
    if row is None or not code_matches:
        return None
    facts = answer_facts(row)
    if DOCUMENT in kinds:
        facts["transparency"] = certificate_transparency(facts["pk"])
    return answer_from_facts(facts, kinds)


def _fetch(
    *, number: str, code: str, limit_key: str, row: dict[str, str], kinds: frozenset[str]
) -> store.Fetched:
    limit, period = VERIFICATION_LOOKUP.limit_and_period()
    return store.fetch(
        number=number,
        code=code,
        limit_key=limit_key,
        limit=limit,
        period=period,
        log_row=row,
        kinds=kinds,
    )


def _lookup_kept(
    *,
    number: str,
    code: str,
    limit_key: str,
    row: dict[str, str],
    kinds: frozenset[str],
    fetched: store.Fetched | None = None,
) -> tuple[Answer | None, bool]:
    """The lookup with Redis: (answer, whether it was logged). A kept answer costs one round
    trip (the rate limit, the answer and its log row); a first lookup two (that one, then its
    log row and the answer it keeps) and one query; a miss two (then its log row) and one query.
    `fetched`: that first round trip, made already (by the edge).
    """
    if fetched is None:
        fetched = _fetch(number=number, code=code, limit_key=limit_key, row=row, kinds=kinds)
    if fetched.limited:
        raise Ratelimited()
    if fetched.answer is not None:  # the fetch queued the log row itself
        _flush_soon(fetched.queued)
        return fetched.answer, True
    answer = _answer_from_database(number, code, kinds)
    if answer is None:
        # A miss makes no token: only the rate counter and the log row mark it in Redis.
        return None, False
    if store.keeps_answers():
        queued = store.keep_and_log(
            number=number, code=code, token=fetched.token, answer=answer, log_row=row
        )
    else:
        queued = store.log_push(certificate_id=answer.certificate_id, row=row)
    _flush_soon(queued)
    return answer, True


def _limit_in_cache(limit_key: str) -> None:
    """Without kept answers: the same fixed-window count in Django's cache (Redis when
    REDIS_URL is set, else local memory)."""
    limit, period = VERIFICATION_LOOKUP.limit_and_period()
    key = f"verify-rl:{limit_key}:{int(time.time()) // period}"
    cache.add(key, 0, period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between the two calls
        cache.set(key, 1, period + 1)
        count = 1
    if count > limit:
        raise Ratelimited()


def _limit_key(client: str) -> str:
    # One count per client for every channel: page, QR link, PDF download, API and upload.
    return f"verify:{client}"


def verification_rate_count(*, client_address: str) -> None:
    """Count one request that reads nothing kept (an uploaded PDF) against the client's
    VERIFY_RATE, in the same count as the lookups; raise Ratelimited past it."""
    limit_key = _limit_key(client_hash(client_address))
    if store.enabled():
        limit, period = VERIFICATION_LOOKUP.limit_and_period()
        try:
            counted = store.count(limit_key=limit_key, period=period)
        except RedisError:
            logger.warning("Redis is unavailable: the request is counted in the database")
            verification_limit_in_database(limit_key)
            return
        if counted > limit:
            raise Ratelimited()
    else:
        _limit_in_cache(limit_key)


def verification_limit_in_database(limit_key: str) -> None:
    """The limit while Redis is unreachable: the same fixed-window count in the database
    (durable.ratelimit), so an outage loosens nothing. Raises Ratelimited past VERIFY_RATE."""
    limit, period = VERIFICATION_LOOKUP.limit_and_period()
    if rate_counter_hit(key=f"verify-rl:{limit_key}", period=period) > limit:
        raise Ratelimited()


@dataclass(frozen=True)
class LookupBegun:
    """A lookup whose Redis round trip is done, but which the kept answer did not settle: the
    edge (verification/edge.py) began it before the middleware stack and the view finishes it
    with verification_lookup(begun=...), so that a miss, a first lookup or a rate-limited
    request costs one round trip and one count, as it does without the edge."""

    number: str
    code: str
    channel: str
    client: str
    kinds: frozenset[str]
    row: dict[str, str]
    fetched: store.Fetched | None  # None: Redis failed (the view goes to the database at once)

    def is_for(
        self, number: str, code: str, channel: str, client: str, kinds: frozenset[str]
    ) -> bool:
        mine = (self.number, self.code, self.channel, self.client, self.kinds)
        return mine == (number, code, channel, client, kinds)


def verification_lookup_begin(
    *,
    number: str,
    code: str,
    channel: str,
    client_address: str,
    kinds: frozenset[str],
) -> Answer | LookupBegun:
    """The first half of verification_lookup (with Redis): the kept answer, counted and logged
    (done), or what the fetch found, for verification_lookup to finish. It raises nothing:
    a limited request or a failed Redis is the view's to answer, through the ordinary stack."""
    number, code = normalise_number(number), normalise_code(code)
    client = client_hash(client_address)
    row = _log_row(channel=channel, outcome=VerificationLog.Outcome.FOUND, client=client)
    fetched: store.Fetched | None
    try:
        limit_key = _limit_key(client)
        fetched = _fetch(number=number, code=code, limit_key=limit_key, row=row, kinds=kinds)
    except RedisError:
        fetched = None
    if fetched is not None and fetched.answer is not None:  # the fetch queued the log row
        _flush_soon(fetched.queued)
        return fetched.answer
    return LookupBegun(
        number=number,
        code=code,
        channel=channel,
        client=client,
        kinds=kinds,
        row=row,
        fetched=fetched,
    )


def verification_lookup(
    *,
    number: str,
    code: str,
    channel: str,
    client_address: str,
    kinds: frozenset[str] = KINDS,
    begun: LookupBegun | None = None,
) -> Answer | None:
    """The answer for this number and verification code (None if they do not match), logged.

    Counts the lookup against the client's VERIFY_RATE (one count for every channel, uploads
    included) and raises Ratelimited past it (answered 429 by django-ratelimit's middleware,
    before anything is looked up).

    A wrong number and a wrong code are indistinguishable to the caller: same result, and both
    are read from the database (the code is compared in constant time, against a dummy when
    the number is unknown); the goods are only read once both match. With Redis, a matching
    code is usually answered from the kept answer (verification/store.py); if Redis fails,
    the lookup is answered from the database, limited by a count kept there. A miss is
    logged without a certificate, so failed guesses never show up in an exporter's count.

    `kinds` (answers.PAGE, answers.DOCUMENT) are the forms of the answer the caller shows;
    only those are built (none for a download, which only needs the certificate's id).

    `begun`: the edge's verification_lookup_begin for this request; used only if it is for
    the same number, code, channel, client and kinds (else the lookup starts afresh).
    """
    number, code = normalise_number(number), normalise_code(code)
    client = client_hash(client_address)
    limit_key = _limit_key(client)
    if begun is not None and not begun.is_for(number, code, channel, client, kinds):
        begun = None
    if begun is not None:
        row = begun.row
    else:
        row = _log_row(channel=channel, outcome=VerificationLog.Outcome.FOUND, client=client)
    logged = False
    if store.enabled():
        try:
            if begun is not None and begun.fetched is None:
                raise RedisError("the edge's round trip failed")  # not tried a second time
            answer, logged = _lookup_kept(
                number=number,
                code=code,
                limit_key=limit_key,
                row=row,
                kinds=kinds,
                fetched=begun.fetched if begun is not None else None,
            )
        except RedisError:
            logger.warning("Redis is unavailable: the lookup is answered from the database")
            verification_limit_in_database(limit_key)
            answer = _answer_from_database(number, code, kinds)
    else:
        _limit_in_cache(limit_key)
        answer = _answer_from_database(number, code, kinds)
    if answer is None:
        _log(None, {**row, "outcome": VerificationLog.Outcome.NOT_FOUND})
    elif not logged:
        _log(answer.certificate_id, row)
    return answer


class AnswerForgetError(CertificateChangeRefusedError):
    """Redis could not be told that a certificate changed (the change must not commit)."""


def verification_answer_forget(*, number: str) -> None:
    """What the certificate with this number says has changed: stop serving the kept answer.

    Called inside the transaction of every service that issues, supersedes or revokes a
    certificate. Raises AnswerForgetError if Redis cannot be told, so that the change is
    rolled back rather than contradicted by a kept answer.
    """
    try:
        store.forget(number)
    except RedisError as exc:
        raise AnswerForgetError(f"Redis could not be told of {number}: {exc}") from exc


def answer_forget_on_certificate_changed(sender: object, *, number: str, **kwargs: object) -> None:
    """certificate_changed's receiver (connected in VerificationConfig.ready): it raises."""
    verification_answer_forget(number=number)


# Why an uploaded document was refused, in words a customs officer can act on.
REFUSAL_REASONS = {
    "not_pdf": "The file is not a PDF document.",
    "no_signature": "The PDF carries no digital signature.",
    "signature_invalid": (
        "The signature does not match the document: it was changed after signing, "
        "or the signature is damaged."
    ),
    "unknown_key": "The PDF is signed, but not by a key of this portal.",
    "unknown_document": (
        "The signature is this portal's, but no certificate in the register is this exact file."
    ),
    "credential_mismatch": (
        "The PDF is this portal's, but the credential inside it is not this certificate's: "
        "its number or facts differ from the certificate's. Do not rely on it."
    ),
    "unsafe": (
        "The PDF contains JavaScript, an XFA form, embedded files or an action that opens "
        "another file or sends data out. No certificate of this portal has any of these."
    ),
    "unchecked": (
        "The file could not be checked: it is larger or more complex than any certificate this "
        "portal issues."
    ),
}
# Refusals of a file that is not a certificate's shape at all: answered 422, not 200.
UNPROCESSABLE_REASONS = frozenset({"unsafe", "unchecked"})


@dataclass(frozen=True)
class DocumentCheckResult:
    """The answer to an uploaded PDF: authentic (with its certificate) or refused with a reason."""

    reason: str
    certificate: Certificate | None = None
    items: list[LineItem] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    sha256: str = ""  # of the uploaded file, shown so that it can be compared and quoted
    expected_number: str = ""  # normalised; empty when the verifier gave none

    @property
    def authentic(self) -> bool:
        return self.certificate is not None

    @property
    def unprocessable(self) -> bool:
        return self.reason in UNPROCESSABLE_REASONS

    def another_certificate(self) -> bool:
        """A genuine file, but of a certificate other than the one the verifier expects."""
        return bool(
            self.certificate is not None
            and self.expected_number
            and self.certificate.number != self.expected_number
        )

    @property
    def reason_text(self) -> str:
        return REFUSAL_REASONS.get(self.reason, "")


def verification_check_document(
    *, data: bytes, client_address: str, expected_number: str = ""
) -> DocumentCheckResult:
    """Check an uploaded PDF's signature against our trust roots and its hash against the register.

    Both must hold: a valid signature by our key on a file that is not in the register (a
    test print, a file signed by a stolen or retired key) is refused as an unknown document.
    Any revision of a certificate's PDF counts (certificates.archive); one whose signature is
    intact but no longer validates on its own (an old revision, after its newest TSA
    certificate ended) is still authentic when its exact bytes are in the register.
    With `expected_number`, a genuine file of another certificate is flagged as such (a valid
    certificate passed off for a different shipment).
    """
    # Imported here: the signature checker loads pyHanko, which only this path needs.
    from .document_check import document_check

    check = document_check(data)  # in a limited child process: structure, content, signatures
    certificate = None
    reason: str = check.reason
    sha256 = hashlib.sha256(data).hexdigest()
    expected = normalise_number(expected_number) if expected_number.strip() else ""
    if check.ok or check.reason == "unknown_key":
        # A file whose bytes are a revision in the register is one we issued, even when its
        # own timestamps no longer carry it (an old revision, after its TSA's certificate
        # ended: the archive timestamps are in the newer ones).
        certificate = selectors.certificate_by_sha256(sha256)
        if certificate is not None and not pdf_credential_binds(data, certificate):
            # A register revision is ours, so reading it here is safe; its embedded credential
            # must be this certificate's own (never another's, swapped in before signing).
            certificate, reason = None, "credential_mismatch"
        elif certificate is not None:
            reason = "ok"
        elif check.ok:
            reason = "unknown_document"
    outcome = VerificationLog.Outcome.AUTHENTIC if certificate else VerificationLog.Outcome.REFUSED
    _log(
        certificate.pk if certificate else None,
        _log_row(
            channel=VerificationLog.Channel.UPLOAD,
            outcome=outcome,
            client=client_hash(client_address),
        ),
    )
    if certificate is None:
        return DocumentCheckResult(reason=reason, sha256=sha256, expected_number=expected)
    return DocumentCheckResult(
        reason,
        certificate,
        selectors.certificate_items(certificate),
        selectors.certificate_invoices(certificate),
        sha256=sha256,
        expected_number=expected,
    )
