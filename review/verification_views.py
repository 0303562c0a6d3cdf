"""The agency's verification requests (verification/requests.py): the queue, assigning an
officer (the agency's administrator), and the finding (the assigned officer or the
administrator). Officers past the second factor only; every lookup starts from the officer's
agency, so another agency's request is a 404."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import officer_required
from accounts.models import User
from accounts.permissions import is_agency_admin
from verification import requests as service
from verification.models import VerificationRequest


class AssignForm(forms.Form):
    officer = forms.TypedChoiceField(label="Officer", coerce=int)

    def __init__(self, *args: object, agency_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        officers = service.assignable_officers(agency_id)
        choice = cast(forms.TypedChoiceField, self.fields["officer"])
        choice.choices = [(o.pk, o.get_full_name() or o.username) for o in officers]


class FindingForm(forms.Form):
    finding = forms.ChoiceField(
        label="Finding",
        choices=VerificationRequest.Finding.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a finding"},
    )
    reasons = forms.CharField(
        label="Reasons, as the verifier will read them",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Give the reasons for the finding"},
    )


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _get(request: HttpRequest, request_id: int) -> VerificationRequest:
    try:
        return service.request_for_officer(_user(request), request_id)
    except VerificationRequest.DoesNotExist:
        raise Http404("No such request.") from None


@require_GET
@officer_required
def request_queue(request: HttpRequest) -> HttpResponse:
    found = list(service.requests_of_agency(_user(request))[:200])
    return render(
        request,
        "officer/verification_requests.html",
        {"requests": found, "now": timezone.now()},
    )


def _render(
    request: HttpRequest,
    vr: VerificationRequest,
    assign: AssignForm | None = None,
    finding: FindingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    admin = is_agency_admin(user, vr.agency_id)
    context = {
        "vr": vr,
        "attachments": list(vr.attachments.all()),
        "events": list(vr.events.select_related("actor")),
        "assign_form": assign or AssignForm(agency_id=vr.agency_id),
        "finding_form": finding or FindingForm(),
        "may_assign": admin and vr.is_open,
        "may_decide": vr.is_open
        and vr.status != VerificationRequest.Status.FILED
        and (admin or vr.assigned_to_id == user.pk),
        "now": timezone.now(),
    }
    return render(request, "officer/verification_request.html", context, status=status)


@require_GET
@officer_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    return _render(request, _get(request, request_id))


@require_POST
@officer_required
def request_assign(request: HttpRequest, request_id: int) -> HttpResponse:
    vr = _get(request, request_id)
    form = AssignForm(request.POST, agency_id=vr.agency_id)
    if form.is_valid():
        try:
            service.request_assign(
                request_id=vr.pk, by=_user(request), officer_id=form.cleaned_data["officer"]
            )
        except service.RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                gettext("%(reference)s assigned; the exporter is asked for evidence.")
                % {"reference": vr.reference},
            )
            return redirect("officer:verification-request", request_id=vr.pk)
    return _render(request, vr, assign=form, status=400)


@require_POST
@officer_required
def request_decide(request: HttpRequest, request_id: int) -> HttpResponse:
    vr = _get(request, request_id)
    form = FindingForm(request.POST)
    if form.is_valid():
        try:
            service.request_decide(
                request_id=vr.pk,
                by=_user(request),
                finding=form.cleaned_data["finding"],
                reasons=form.cleaned_data["reasons"],
            )
        except service.RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                gettext("The finding on %(reference)s was sent to the verifier.")
                % {"reference": vr.reference},
            )
            return redirect("officer:verification-request", request_id=vr.pk)
    return _render(request, vr, finding=form, status=400)
