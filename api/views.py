"""The portal's page for the API: one's own tokens, the webhook endpoints and their log."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import api_tokens, firms
from accounts.models import ApiToken, User

from . import bulk, services, webhooks
from .models import BulkFiling, WebhookDelivery


class TokenForm(forms.Form):
    name = forms.CharField(label="Name (what uses it)", max_length=100)
    scopes = forms.MultipleChoiceField(
        choices=ApiToken.Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    days = forms.IntegerField(label="Lives for (days)", min_value=1, max_value=365, initial=90)


class EndpointForm(forms.Form):
    url = forms.URLField(label="Endpoint address (https)", max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label="Events (none ticked: all)",
        choices=[(e, e) for e in webhooks.EVENT_TYPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def user_of(request: HttpRequest) -> User:
    """The signed-in person (LoginRequiredMiddleware keeps the anonymous out)."""
    return cast(User, request.user)


def _files_or_404(request: HttpRequest) -> None:
    if not firms.files_for_firms(user_of(request)):
        raise Http404("Only a firm's members and agents' staff use the API.")


@require_http_methods(["GET", "POST"])
def access(request: HttpRequest) -> HttpResponse:
    """Tokens (create, revoke) and webhook endpoints (register), with the delivery log."""
    _files_or_404(request)
    token_form = TokenForm(request.POST if "create_token" in request.POST else None)
    endpoint_form = EndpointForm(request.POST if "add_endpoint" in request.POST else None)
    secret = ""
    if token_form.is_bound and token_form.is_valid():
        try:
            _, secret = api_tokens.api_token_create(
                user=user_of(request), **token_form.cleaned_data
            )
        except api_tokens.TokenRefused as exc:
            token_form.add_error(None, str(exc))
    if endpoint_form.is_bound and endpoint_form.is_valid():
        try:
            services.webhook_endpoint_register(user=user_of(request), **endpoint_form.cleaned_data)
            messages.success(request, "Endpoint registered.")
            return redirect("api:access")
        except webhooks.WebhookRefused as exc:
            endpoint_form.add_error("url", str(exc))
    endpoints = services.endpoints_of(user_of(request))
    deliveries = WebhookDelivery.objects.filter(endpoint__in=endpoints).select_related("endpoint")[
        :50
    ]
    return render(
        request,
        "api/access.html",
        {
            "token_form": token_form,
            "endpoint_form": endpoint_form,
            "secret": secret,  # shown once, on this answer only
            "tokens": api_tokens.api_tokens_of(user_of(request)),
            "allowed_scopes": api_tokens.scopes_allowed(user_of(request)),
            "endpoints": endpoints,
            "deliveries": deliveries,
        },
    )


@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    _files_or_404(request)
    if api_tokens.api_token_revoke(user=user_of(request), token_id=token_id):
        messages.success(request, "Token revoked: it no longer works.")
    return redirect("api:access")


@require_POST
def delivery_replay(request: HttpRequest, delivery_id: int) -> HttpResponse:
    _files_or_404(request)
    try:
        services.webhook_delivery_replay(user=user_of(request), delivery_id=delivery_id)
    except WebhookDelivery.DoesNotExist:
        raise Http404("No such delivery") from None
    messages.success(request, "The event is being sent again.")
    return redirect("api:access")


class BulkForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet (.csv or .xlsx), one application a row",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


@require_http_methods(["GET", "POST"])
def bulk_new(request: HttpRequest) -> HttpResponse:
    """Upload a spreadsheet; its rows become drafts in the background (the progress page)."""
    _files_or_404(request)
    form = BulkForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            filing = bulk.bulk_filing_start(
                user=user_of(request), name=upload.name or "upload", content=upload.read()
            )
        except bulk.BulkRefused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("api:bulk-progress", filing.pk)
    return render(request, "api/bulk_new.html", {"form": form, "columns": bulk.HEADER_COLUMNS})


def bulk_progress(request: HttpRequest, bulk_id: int) -> HttpResponse:
    """How far the filing got: a progress bar, the drafts made, a message for each bad row."""
    _files_or_404(request)
    filing = BulkFiling.objects.filter(pk=bulk_id, created_by=user_of(request)).first()
    if filing is None:
        raise Http404("No such upload")
    return render(request, "api/bulk_progress.html", {"filing": filing})
