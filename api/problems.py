"""Errors as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Schema

PROBLEM_TYPE = "https://coo.example/problems/"  # overwritten by the API's docs URL below
MEDIA_TYPE = "application/problem+json"


class Problem(Schema):
    """RFC 9457: `type` names the kind of problem, `title` says it in words, `detail` this
    occurrence; `errors` lists field errors as {field, message}."""

    type: str
    title: str
    status: int
    detail: str = ""
    errors: list[dict[str, str]] = []


class ApiProblem(Exception):  # noqa: N818 - a response, raised
    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        kind: str = "",
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.kind = kind or title.lower().replace(" ", "-")
        self.errors = errors or []
        self.headers = headers or {}

    def body(self, request: HttpRequest) -> dict[str, Any]:
        return {
            "type": request.build_absolute_uri(f"/api/v1/docs/problems#{self.kind}"),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "errors": self.errors,
        }


def problem_response(request: HttpRequest, problem: ApiProblem) -> HttpResponse:
    response = JsonResponse(problem.body(request), status=problem.status, content_type=MEDIA_TYPE)
    for name, value in problem.headers.items():
        response[name] = value
    return response


def not_found(detail: str = "No such resource, or not yours.") -> ApiProblem:
    return ApiProblem(404, "Not found", detail)


def form_errors(form: Any) -> ApiProblem:
    """A form's field errors (the portal's own messages) as a 422 problem."""
    errors = [
        {"field": field if field != "__all__" else "", "message": str(message)}
        for field, messages in form.errors.items()
        for message in messages
    ]
    return ApiProblem(
        422, "Invalid request", "Some fields are not valid.", kind="invalid", errors=errors
    )
