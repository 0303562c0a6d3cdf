"""Request bodies refused by their declared size, before anything reads them.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE counts only the form fields that are not files, and
FILE_UPLOAD_MAX_MEMORY_SIZE only decides when a file goes to a temporary file on disk: without
this middleware a 300 MiB anonymous upload is read, and written to disk, by the first code that
touches request.POST (CsrfViewMiddleware, before any view runs). This middleware comes first and
answers 413 from the Content-Length header alone:

- a view marked with @accepts_upload takes up to UPLOAD_MAX_BYTES plus UPLOAD_BODY_OVERHEAD
  (the multipart boundaries and the form's other fields);
- every other URL takes up to DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), the most a form of this
  portal sends (the goods CSV is at most 1 MB);
- a body without a Content-Length (chunked transfer encoding) gets 411: Django would not read
  it anyway, and nothing here needs to stream a request.

The proxy in front refuses earlier still (nginx `client_max_body_size`, see the README), so
that a large body never reaches gunicorn; this is the second line, for a proxy misconfigured
or absent. gunicorn (gthread) then drains at most 64 KiB of the unread body and, past that,
closes the connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve

UPLOAD_BODY_OVERHEAD = 64 * 1024

View = TypeVar("View", bound=Callable[..., HttpResponse])


def accepts_upload(view: View) -> View:
    """Mark a view that receives a file of up to UPLOAD_MAX_BYTES."""
    view.accepts_upload = True  # type: ignore[attr-defined]  # a marker on the view function, read by the middleware
    return view


def body_limit(path: str) -> int:
    """The most bytes a request body to `path` may declare."""
    try:
        match = resolve(path)
    except Resolver404:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if getattr(match.func, "accepts_upload", False):
        return settings.UPLOAD_MAX_BYTES + UPLOAD_BODY_OVERHEAD
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _refuse(status: int, message: str) -> HttpResponse:
    # Plain text: this answers before sessions, users and templates' context exist.
    return HttpResponse(message + "\n", status=status, content_type="text/plain")


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or ""
        if not declared:
            if request.META.get("HTTP_TRANSFER_ENCODING"):
                return _refuse(411, "Send the request with a Content-Length header.")
            return self.get_response(request)  # no body: every GET of the busy pages
        try:
            length = int(declared)
        except ValueError:
            return _refuse(400, "The Content-Length header is not a number.")
        # The URL is resolved only for a body larger than any plain form's.
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            limit = body_limit(request.path_info)
            if length > limit and limit > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                most = filesizeformat(settings.UPLOAD_MAX_BYTES)
                return _refuse(
                    413,
                    f"The file is too large: it must be at most {most}. "
                    "Go back and choose a smaller file.",
                )
            if length > limit:
                most = filesizeformat(limit)
                return _refuse(413, f"The request is too large: it must be at most {most}.")
        return self.get_response(request)
