"""Idempotency-Key: a POST retried with the same key gets the first answer, done once.

The key is recorded (IdempotentRequest, unique per token and key) in the same transaction as
the work. A concurrent retry waits on the unique index until the first commits, then finds
the row and replays its answer; if the first rolled back (an error), the retry does the work
itself. The same key with a different method, path or body is refused (422).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from ninja import Status
from pydantic import BaseModel

from .auth import token_of
from .models import IdempotentRequest
from .problems import ApiProblem

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body if request.content_type != "multipart/form-data" else b"")
    if request.FILES:
        for name, upload in sorted(request.FILES.items()):
            assert isinstance(upload, UploadedFile)  # noqa: S101 - a narrowing, for mypy
            digest.update(name.encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def _jsonable(result: Any) -> tuple[int, Any]:
    status, body = (
        (result.status_code, result.value) if isinstance(result, Status) else (200, result)
    )
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    return status, json.loads(json.dumps(body, default=str))


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a POST endpoint: with an Idempotency-Key, the work and its answer are kept."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER, "")
        if not key:
            with transaction.atomic():
                return view(request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            raise ApiProblem(
                422, "Invalid request", f"{HEADER} is at most {MAX_KEY_LENGTH} characters."
            )
        token = token_of(request)
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotentRequest.objects.create(
                        token=token, key=key, fingerprint=fingerprint
                    )
            except IntegrityError:
                record = IdempotentRequest.objects.get(token=token, key=key)
                if record.fingerprint != fingerprint:
                    raise ApiProblem(
                        422,
                        "Idempotency key reused",
                        f"This {HEADER} was used for a different request.",
                        kind="idempotency-key-reused",
                    ) from None
                return Status(record.status_code, record.body)
            status, body = _jsonable(view(request, *args, **kwargs))
            record.status_code, record.body = status, body
            record.save(update_fields=["status_code", "body"])
            return Status(status, body)

    return wrapper
