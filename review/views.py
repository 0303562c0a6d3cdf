"""The officer's pages: the agency queue, the review page, the decisions, the dashboard.

Every view needs a signed-in, second-factor-verified officer (officer_required); every lookup
starts from the officer's agency, so another agency's application is a 404. Decisions go
through applications.workflow; a refused transition is shown as it is and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import officer_required
from accounts.models import OfficerProfile
from accounts.permissions import is_agency_admin
from applications import workflow
from applications.models import Application
from applications.snapshots import in_lieu_changes, reply_and_changes
from core.pagination import count_label

from . import selectors, services
from .forms import ApproveForm, ClarifyForm, QueueFilterForm, ReassignForm, RejectForm
from .risks import application_risks


@require_GET
@officer_required
def queue(request: HttpRequest) -> HttpResponse:
    profile = selectors.officer_profile_for(request.user)
    form = QueueFilterForm(request.GET, profile=profile)
    filters = form.filters()
    args = {"profile": profile, "user": request.user, "filters": filters}
    page = selectors.queue_page(**args, cursor=request.GET.get("cursor", ""))
    now = timezone.now()
    for application in page:
        application.age_working_days = selectors.working_age(application.submitted_at, now=now)
    counts = selectors.queue_counts(**args)
    keep = {k: v for k, v in request.GET.items() if k not in {"cursor", "tab"} and v}
    tabs = [
        (tab, count_label(counts[tab.key]), "?" + urlencode({**keep, "tab": tab.key}))
        for tab in selectors.TABS
    ]
    return render(
        request,
        "officer/queue.html",
        {
            "form": form,
            "filters": filters,
            "tabs": tabs,
            "page": page,
            "page_query": urlencode({**keep, "tab": filters.tab}),
            "profile": profile,
        },
    )


@require_GET
@officer_required
def review(request: HttpRequest, reference: str) -> HttpResponse:
    profile = selectors.officer_profile_for(request.user)
    application = selectors.application_get_for_officer(reference=reference, profile=profile)
    return _render_review(request, application, profile)


@require_POST
@officer_required
def start_review(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        lambda pk: workflow.application_start_review(application_id=pk, officer=request.user),
        "You are reviewing {ref}.",
    )


@require_POST
@officer_required
def release(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        lambda pk: workflow.application_release(application_id=pk, officer=request.user),
        "{ref} is back in the queue for any officer.",
    )


@require_POST
@officer_required
def reassign(request: HttpRequest, reference: str) -> HttpResponse:
    profile = selectors.officer_profile_for(request.user)
    return _decide(
        request,
        reference,
        ReassignForm(request.POST, profile=profile),
        lambda pk, data: workflow.application_reassign(
            application_id=pk, admin=request.user, to_officer=data["to_officer"]
        ),
        "{ref} is reassigned.",
        "reassign_form",
    )


@require_POST
@officer_required
def approve(request: HttpRequest, reference: str) -> HttpResponse:
    """An approval over risk flags needs a reason: the form asks for it, the service insists."""
    profile = selectors.officer_profile_for(request.user)
    pk = selectors.application_id_for_officer(reference=reference, profile=profile)
    flagged = bool(application_risks(selectors.application_for_risks(application_id=pk)))
    return _decide(
        request,
        reference,
        ApproveForm(request.POST, flagged=flagged),
        lambda pk, data: services.application_approve_reviewed(
            application_id=pk,
            officer=request.user,
            remark=data["remark"],
            override_reason=data.get("override_reason", ""),
        ),
        "{ref} is approved. The certificate is being issued.",
        "approve_form",
    )


@require_POST
@officer_required
def reject(request: HttpRequest, reference: str) -> HttpResponse:
    return _decide(
        request,
        reference,
        RejectForm(request.POST),
        lambda pk, data: workflow.application_reject(
            application_id=pk, officer=request.user, reason=data["reason"]
        ),
        "{ref} is rejected.",
        "reject_form",
    )


@require_POST
@officer_required
def clarify(request: HttpRequest, reference: str) -> HttpResponse:
    return _decide(
        request,
        reference,
        ClarifyForm(request.POST),
        lambda pk, data: workflow.application_request_clarification(
            application_id=pk, officer=request.user, message=data["message"]
        ),
        "{ref} is sent back to the exporter for clarification.",
        "clarify_form",
    )


@require_GET
@officer_required
def dashboard(request: HttpRequest) -> HttpResponse:
    profile = selectors.officer_profile_for(request.user)
    stats = selectors.dashboard_stats(profile=profile, cursor=request.GET.get("cursor", ""))
    is_admin = is_agency_admin(request.user, profile.agency_id)
    context = {"stats": stats, "profile": profile, "is_admin": is_admin}
    return render(request, "officer/dashboard.html", context)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _act(
    request: HttpRequest, reference: str, action: Callable[[int], Any], success: str
) -> HttpResponse:
    """Run a form-less transition; show its refusal plainly."""
    profile = selectors.officer_profile_for(request.user)
    pk = selectors.application_id_for_officer(reference=reference, profile=profile)
    try:
        done = action(pk)
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _told(request, success.format(ref=reference), done))
    return redirect("officer:review", reference=reference)


def _decide(
    request: HttpRequest,
    reference: str,
    form: django_forms.Form,
    action: Callable[[int, dict[str, Any]], Any],
    success: str,
    form_name: str,
) -> HttpResponse:
    """Bind the decision form, call the workflow, redirect; or show the page with errors."""
    profile = selectors.officer_profile_for(request.user)
    pk = selectors.application_id_for_officer(reference=reference, profile=profile)
    if not form.is_valid():
        application = selectors.application_get_for_officer(reference=reference, profile=profile)
        return _render_review(request, application, profile, status=400, **{form_name: form})
    try:
        done = action(pk, form.cleaned_data)
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _told(request, success.format(ref=reference), done))
    return redirect("officer:review", reference=reference)


def _told(request: HttpRequest, success: str, done: Application) -> str:
    """The success message and exactly what the notification layer queued to people."""
    sent = done.notified
    return f"{success} {sent.message_for(request.user)}" if sent and sent.deliveries else success


def _render_review(
    request: HttpRequest,
    application: Application,
    profile: OfficerProfile,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    header_flags, item_reviews = selectors.application_checks(application)
    documents = list(application.documents.all())
    for document in documents:
        # The document view belongs to the exporter pages; it serves the agency's officers too.
        document.view_url = reverse(
            "applications:document", args=[application.reference, document.pk]
        )
    events = list(application.events.all())
    risks = application_risks(application)
    is_admin = is_agency_admin(request.user, application.agency_id)
    context = {
        "application": application,
        "header_flags": header_flags,
        "risks": risks,
        "item_reviews": item_reviews,
        "documents": documents,
        "history": selectors.exporter_history(application=application),
        "events": events,
        "reply": reply_and_changes(application, events),
        "in_lieu": in_lieu_changes(application),
        "approve_form": forms.get("approve_form") or ApproveForm(flagged=bool(risks)),
        "reject_form": forms.get("reject_form") or RejectForm(),
        "clarify_form": forms.get("clarify_form") or ClarifyForm(),
        "reassign_form": (forms.get("reassign_form") or ReassignForm(profile=profile))
        if is_admin
        else None,
        "open_form": next(iter(forms), ""),
    }
    return render(request, "officer/review.html", context, status=status)
