"""The transparency log's public JSON: signed heads, proofs and leaves (transparency.py).

Public (login_not_required) and counted against the client's verification rate like every
lookup (services.verification_rate_count; past it, 429). Nothing here is secret: the leaves
hold numbers and hashes, which the certificates print anyway.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from core.clientip import client_ip

from .models import LogLeaf, SignedTreeHead, TransparencyLog
from .services import verification_rate_count
from .transparency import (
    MAX_LEAVES_PER_PAGE,
    head_document,
    head_latest,
    log_consistency,
    log_inclusion,
    log_of,
)


def _error(status: int, error: str, detail: str) -> JsonResponse:
    return JsonResponse({"error": error, "detail": detail}, status=status)


def _int(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _log(request: HttpRequest, agency: str) -> TransparencyLog | None:
    verification_rate_count(client_address=client_ip(request))
    return log_of(agency)


def _json(document: object, *, max_age: int = 0) -> JsonResponse:
    response = JsonResponse(document, safe=False)
    response["Cache-Control"] = f"public, max-age={max_age}" if max_age else "no-cache"
    response["Access-Control-Allow-Origin"] = "*"
    return response


NO_LOG = "This agency has no transparency log yet."


@login_not_required
@require_GET
def head(request: HttpRequest, agency: str) -> HttpResponse:
    """The agency's latest signed tree head."""
    log = _log(request, agency)
    latest = head_latest(log) if log else None
    if latest is None:
        return _error(404, "not_found", "No signed tree head has been published for this agency.")
    return _json(head_document(latest, agency))


@login_not_required
@require_GET
def head_at(request: HttpRequest, agency: str, tree_size: int) -> HttpResponse:
    """The signed head of a given size, for a monitor that missed one (kept for ever)."""
    log = _log(request, agency)
    found = SignedTreeHead.objects.filter(log=log, tree_size=tree_size).first() if log else None
    if found is None:
        return _error(404, "not_found", "No signed tree head of this size.")
    return _json(head_document(found, agency), max_age=86400)


@login_not_required
@require_GET
def consistency(request: HttpRequest, agency: str) -> HttpResponse:
    """RFC 9162 consistency proof between the trees of `first` and `second` leaves."""
    log = _log(request, agency)
    first, second = _int(request, "first"), _int(request, "second")
    if log is None:
        return _error(404, "not_found", NO_LOG)
    if first is None or second is None or not 0 < first <= second <= log.size:
        return _error(
            400, "bad_request", f"Give 0 < first <= second <= {log.size} (the log's size)."
        )
    proof = log_consistency(log, first, second)
    document = {"first": first, "second": second, "consistency_path": [p.hex() for p in proof]}
    return _json(document, max_age=86400)


@login_not_required
@require_GET
def inclusion(request: HttpRequest, agency: str) -> HttpResponse:
    """RFC 9162 inclusion proof of leaf `leaf_index` in the tree of `tree_size` leaves."""
    log = _log(request, agency)
    index, size = _int(request, "leaf_index"), _int(request, "tree_size")
    if log is None:
        return _error(404, "not_found", NO_LOG)
    if index is None or size is None or not 0 <= index < size <= log.size:
        return _error(
            400, "bad_request", f"Give 0 <= leaf_index < tree_size <= {log.size} (the log's size)."
        )
    path = log_inclusion(log, index, size)
    document = {"leaf_index": index, "tree_size": size, "audit_path": [p.hex() for p in path]}
    return _json(document, max_age=86400)


@login_not_required
@require_GET
def leaves(request: HttpRequest, agency: str) -> HttpResponse:
    """Leaves [start, end), at most MAX_LEAVES_PER_PAGE: what a monitor replays."""
    log = _log(request, agency)
    start, end = _int(request, "start"), _int(request, "end")
    if log is None:
        return _error(404, "not_found", NO_LOG)
    if start is None or end is None or not 0 <= start < end:
        return _error(400, "bad_request", "Give 0 <= start < end.")
    end = min(end, start + MAX_LEAVES_PER_PAGE, log.size)
    rows = LogLeaf.objects.filter(log=log, index__gte=start, index__lt=end).order_by("index")
    document = {
        "leaves": [
            {"leaf_index": index, "leaf": entry, "leaf_hash": leaf_hash}
            for index, entry, leaf_hash in rows.values_list("index", "entry", "leaf_hash")
        ]
    }
    return _json(document)
