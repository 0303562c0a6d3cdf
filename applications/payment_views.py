"""The pages of a gateway that signs its own messages (Razorpay): the checkout page that loads
the gateway's script, the browser's return and the gateway's webhook for one agency."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts import firms
from accounts.decorators import exporter_required
from accounts.models import User

from .gateway_razorpay import RAZORPAY, RazorpayGateway
from .gateway_services import payment_apply_notification, payment_confirm_return
from .models import Payment
from .notifications import sent_for_payment
from .services import PaymentOutcome, PaymentRefused

RETURN_FIELDS = ("razorpay_order_id", "razorpay_payment_id", "razorpay_signature")


def payment_outcome_response(
    request: HttpRequest, payment: Payment, outcome: PaymentOutcome
) -> HttpResponse:
    """Where the browser goes back to after paying, with what happened, whichever gateway took
    the card (the sandbox's return and Razorpay's): one wording for both."""
    reference = payment.application.reference
    payment.refresh_from_db()
    if outcome.refused:
        messages.error(
            request,
            gettext("The payment could not be confirmed: %(reason)s") % {"reason": outcome.refused},
        )
    elif payment.state == Payment.State.CAPTURED:
        # What the capture queued, whichever route applied it (usually the notification,
        # before the browser came back); nothing is claimed when nothing was queued.
        sent = sent_for_payment(payment.pk)
        told = sent.message_for(cast(User, request.user)) if sent.deliveries else ""
        messages.success(request, (gettext("Payment received. %(told)s") % {"told": told}).strip())
        return redirect("applications:receipt", reference)
    elif payment.state == Payment.State.UNAPPLIED:
        messages.warning(
            request,
            gettext(
                "Your card was charged %(currency)s %(amount)s, but this application's "
                "fee had already been paid or the application was withdrawn, so the payment was "
                "not applied and is being refunded to your card automatically. Quote order "
                "%(order)s to %(support)s if it has not reached you within a week."
            )
            % {
                "currency": payment.currency,
                "amount": payment.amount,
                "order": payment.order_id,
                "support": settings.SUPPORT_EMAIL,
            },
        )
    else:
        said = (
            gettext(
                "The payment was cancelled: nothing was charged. Your application is saved; "
                "try again."
            )
            if payment.state == Payment.State.CANCELLED
            else gettext(
                "The payment failed: nothing was charged. Your application is saved; try again."
            )
        )
        messages.error(request, said)
    return redirect("applications:tasks", reference)


def _payment(request: HttpRequest, order_id: str) -> Payment:
    return get_object_or_404(
        Payment.objects.select_related("application__agency"),
        order_id=order_id,
        gateway=RAZORPAY,
        application__firm_id__in=firms.firm_ids_for(request.user),
    )


@exporter_required
def payment_checkout(request: HttpRequest, order_id: str) -> HttpResponse:
    """Razorpay's Standard Checkout, opened on this page; its answer is posted back here."""
    payment = _payment(request, order_id)
    if payment.state != Payment.State.CREATED:
        return redirect("applications:tasks", payment.application.reference)
    options = RazorpayGateway().checkout_options(payment)
    response = render(
        request, "applications/checkout.html", {"payment": payment, "options": options}
    )
    # What django-csp's csp_update decorator sets: the gateway's script and frame are allowed
    # on this page and nowhere else.
    response._csp_update = RazorpayGateway.csp  # type: ignore[attr-defined]  # django-csp's hook
    return response


@exporter_required
@require_POST
def payment_checkout_return(request: HttpRequest, order_id: str) -> HttpResponse:
    payment = _payment(request, order_id)
    reference = payment.application.reference
    try:
        outcome = payment_confirm_return(
            payment=payment, params={k: request.POST.get(k, "") for k in RETURN_FIELDS}
        )
    except PaymentRefused as exc:
        messages.error(
            request, gettext("The payment could not be confirmed: %(reason)s") % {"reason": exc}
        )
        return redirect("applications:tasks", reference)
    return payment_outcome_response(request, payment, outcome)


@csrf_exempt
@login_not_required
@require_POST
def payment_webhook(request: HttpRequest, agency_code: str) -> JsonResponse:
    """Razorpay's webhook for one agency's merchant account, authenticated by the signature
    over the raw body with that agency's webhook secret."""
    if not agency_code:
        raise Http404("No agency")
    answer = payment_apply_notification(
        gateway_name=RAZORPAY,
        agency_code=agency_code,
        body=request.body,
        signature=request.headers.get("X-Razorpay-Signature", ""),
    )
    return JsonResponse(answer.body, status=answer.status)
