"""What every exporter page of an application starts with: the application, if it is the
exporter's, and, for a page that changes it, whether it may still be changed."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext

from accounts.decorators import View, exporter_required
from accounts.models import User

from . import selectors, workflow
from .models import Application


def application_for(request: HttpRequest, reference: str) -> Application:
    return selectors.application_get_for_exporter(reference=reference, user=signed_in(request))


def signed_in(request: HttpRequest) -> User:
    """The exporter or agent behind a request that `exporter_page` let through."""
    return cast(User, request.user)


def editable_application(request: HttpRequest, reference: str) -> Application:
    application = application_for(request, reference)
    if not workflow.allowed(application, workflow.Action.EDIT, request.user):
        messages.error(
            request,
            gettext("%(reference)s has been submitted and can no longer be changed.")
            % {"reference": reference},
        )
        raise _Redirect(reverse("applications:detail", args=[reference]))
    return application


class _Redirect(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, url: str) -> None:
        self.url = url


def exporter_page(view: View) -> View:
    """Exporter-only, and turns `_Redirect` and WorkflowError into a redirect with a message."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except _Redirect as exc:
            return redirect(exc.url)
        except workflow.WorkflowError as exc:
            messages.error(request, str(exc))
            ref = kwargs.get("reference")
            return redirect("applications:detail", ref) if ref else redirect("applications:list")

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return exporter_required(wrapper)
