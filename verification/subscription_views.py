"""Status subscriptions' pages: subscribe (number + code, as verifying) and one-click unsubscribe.

Both public (login_not_required), CSRF-protected forms; subscribing is rate-limited per client
(subscriptions.subscription_create, the `status-subscription` policy: 429 past it).
"""

from __future__ import annotations

import hmac

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from certificates.models import Certificate
from core.clientip import client_ip

from .forms import SubscribeForm
from .models import StatusSubscription
from .subscriptions import SubscriptionError, subscription_cancel, subscription_create


def _certificate(number: str, code: str) -> Certificate:
    certificate = Certificate.objects.filter(number=number).first()
    expected = certificate.verification_code if certificate else "-" * 12
    if certificate is None or not hmac.compare_digest(expected.encode(), code.encode()):
        raise Http404("No certificate matches this number and code.")
    return certificate


@login_not_required
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest, number: str) -> HttpResponse:
    certificate = _certificate(number, request.GET.get("code", ""))
    form = SubscribeForm(request.POST or None)
    if form.is_valid():
        try:
            subscription = subscription_create(
                certificate=certificate,
                channel=form.cleaned_data["channel"],
                target=form.cleaned_data["target"],
                client_address=client_ip(request),
            )
        except SubscriptionError as exc:
            form.add_error("target", str(exc))
        else:
            done = {"certificate": certificate, "subscription": subscription}
            response = render(request, "verification/subscribed.html", done)
            response["Cache-Control"] = "no-store"  # the page shows the webhook's secret
            return response
    status = 400 if form.is_bound else 200
    context = {"certificate": certificate, "form": form}
    return render(request, "verification/subscribe.html", context, status=status)


@login_not_required
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (a mail scanner following links must not unsubscribe anyone); one POST does it."""
    if request.method == "POST":
        subscription = subscription_cancel(token=token)
        if subscription is None:
            raise Http404("No such subscription.")
        return render(request, "verification/unsubscribed.html", {"subscription": subscription})
    subscription = StatusSubscription.objects.filter(token=token).first()
    if subscription is None:
        raise Http404("No such subscription.")
    return render(request, "verification/unsubscribe.html", {"subscription": subscription})
