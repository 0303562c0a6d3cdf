"""Log lines that can be followed across processes: a request id on every line, JSON out.

python-json-logger rather than structlog: every module already logs through the standard
library's `logging` (and so do Django, Celery, gunicorn and pyHanko), and python-json-logger is
a formatter for exactly that, set in LOGGING; structlog would want its own logger calls to add
anything over a formatter.

The request id comes from the proxy's X-Request-ID (nginx's $request_id, deploy/nginx.conf) or
is made here; it is answered in X-Request-ID, travels with every Celery task published while
the request runs (a message header), and is set again in the worker around the task, so the
worker's lines carry the id of the request that caused them.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

request_id: ContextVar[str] = ContextVar("request_id", default="-")
HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: time (ISO 8601 with its UTC offset), level, logger, message,
    request id, and whatever `extra` a call passed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__("%(levelname)s %(name)s %(message)s %(request_id)s", *args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data["time"] = datetime.fromtimestamp(record.created).astimezone().isoformat()
        log_data["level"] = log_data.pop("levelname", record.levelname)
        log_data["logger"] = log_data.pop("name", record.name)


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        token = request_id.set(given if _ACCEPTED.match(given) else uuid.uuid4().hex)
        try:
            response = self.get_response(request)
            response[HEADER] = request_id.get()
            return response
        finally:
            request_id.reset(token)


def _carry_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is not None and request_id.get() != "-":
        headers.setdefault("request_id", request_id.get())


def _restore_request_id(task: Any = None, **kwargs: Any) -> None:
    # A task run in-process (eager) runs inside the request and keeps its id as it is.
    if task is not None and not task.request.is_eager:
        request_id.set(getattr(task.request, "request_id", None) or "-")


def _forget_request_id(task: Any = None, **kwargs: Any) -> None:
    if task is not None and not task.request.is_eager:
        request_id.set("-")


before_task_publish.connect(_carry_request_id)
task_prerun.connect(_restore_request_id)
task_postrun.connect(_forget_request_id)
