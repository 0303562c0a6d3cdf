"""The exporter's fee wallet pages, tax invoice and receipt downloads, the acknowledgement."""

from __future__ import annotations

import contextlib
import csv
import secrets
from collections.abc import Iterator
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts import firms
from accounts.decorators import exporter_required

from . import selectors, wallet
from .acknowledgement import acknowledgement_pdf, next_steps
from .declared import declaration_statement
from .models import Application, Status, TaxInvoice, WalletEntry, WalletTopUp
from .payments import SANDBOX, gateway_get, gateway_notification_answer, sandbox_active
from .tax import document_pdf, rupees
from .wallet_forms import GSTINForm, TopUpForm

LEDGER_ON_PAGE = 50
PAYLOAD_KEYS = ("order_id", "event_id", "status", "amount", "currency", "gateway_reference")


def _wallet(request: HttpRequest) -> wallet.Wallet:
    firm = wallet.firm_of(request.user)
    if firm is None:
        raise Http404("No firm")
    return wallet.wallet_get(firm=firm)


WALLET_KEEPERS_ONLY = (
    "Only an administrator of the firm can manage its fee wallet (top-ups and the GSTIN on its "
    "tax invoices). Nothing was changed."
)


def _not_a_keeper(request: HttpRequest) -> HttpResponse | None:
    """The answer to a wallet change by someone who files for a firm but does not keep its
    wallet (a signatory, a preparer, an agent's staff): 403 with the reason; None for a keeper.
    """
    if wallet.firm_of(request.user) is not None:
        return None
    return render(request, "403.html", {"message": WALLET_KEEPERS_ONLY}, status=403)


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@exporter_required
@require_GET
def wallet_home(request: HttpRequest) -> HttpResponse:
    account = _wallet(request)
    # The newest entries and one more (to know whether there are more), never the whole
    # ledger: the newest entry's balance_after is the balance.
    entries = list(
        account.entries.select_related("application").order_by("-sequence")[: LEDGER_ON_PAGE + 1]
    )
    return render(
        request,
        "applications/wallet.html",
        {
            "wallet": account,
            "balance": rupees(entries[0].balance_after_paise if entries else 0),
            "entries": entries[:LEDGER_ON_PAGE],
            "more_entries": len(entries) > LEDGER_ON_PAGE,
            "invoices": TaxInvoice.objects.filter(firm=account.firm).select_related("original")[
                :LEDGER_ON_PAGE
            ],
            "top_up_form": TopUpForm(),
            "gstin_form": GSTINForm(initial={"gstin": account.gstin}),
        },
    )


@exporter_required
@require_POST
def wallet_top_up(request: HttpRequest) -> HttpResponse:
    if refused := _not_a_keeper(request):
        return refused
    form = TopUpForm(request.POST)
    if not form.is_valid():
        for error in form.errors["amount"]:
            messages.error(request, error)
        return redirect("applications:wallet")
    try:
        top_up = wallet.wallet_top_up_start(
            user=request.user, amount_rupees=form.cleaned_data["amount"]
        )
    except wallet.WalletError as exc:
        messages.error(request, str(exc))
        return redirect("applications:wallet")
    return redirect("applications:wallet-top-up-sandbox", top_up.order_id)


@exporter_required
def wallet_top_up_sandbox(request: HttpRequest, topup_order_id: str) -> HttpResponse:
    """The sandbox gateway's hosted page for a top-up (see views.payment_sandbox)."""
    if not sandbox_active():
        raise Http404("No sandbox gateway here")
    top_up = get_object_or_404(
        WalletTopUp, order_id=topup_order_id, wallet__firm=wallet.firm_of(request.user)
    )
    outcome = request.POST.get("outcome")
    if request.method == "POST" and outcome in {"captured", "failed", "cancelled"}:
        payload = {
            "order_id": top_up.order_id,
            "event_id": f"EVT-{secrets.token_hex(12)}",
            "status": outcome,
            "amount": rupees(top_up.amount_paise),
            "currency": top_up.currency,
            "gateway_reference": f"SBX{secrets.token_hex(6).upper()}"
            if outcome == "captured"
            else "",
        }
        signature = gateway_get(SANDBOX).sign(payload)
        with contextlib.suppress(wallet.TopUpRefused):
            wallet.wallet_top_up_apply_event(
                payload=payload, signature=signature, source="notification"
            )
        query = urlencode({**payload, "signature": signature})
        return redirect(f"{reverse('applications:wallet-top-up-return')}?{query}")
    return render(
        request,
        "applications/wallet_sandbox.html",
        {"order": top_up, "amount": rupees(top_up.amount_paise)},
    )


@exporter_required
@require_GET
def wallet_top_up_return(request: HttpRequest) -> HttpResponse:
    payload = {k: request.GET.get(k, "") for k in PAYLOAD_KEYS}
    top_up = get_object_or_404(
        WalletTopUp, order_id=payload["order_id"], wallet__firm=wallet.firm_of(request.user)
    )
    try:
        outcome = wallet.wallet_top_up_apply_event(
            payload=payload, signature=request.GET.get("signature", ""), source="return"
        )
    except wallet.TopUpRefused as exc:
        messages.error(request, f"The payment could not be confirmed: {exc}")
        return redirect("applications:wallet")
    top_up.refresh_from_db()
    if outcome.refused:
        messages.error(request, f"The payment could not be confirmed: {outcome.refused}")
    elif top_up.state == WalletTopUp.State.CAPTURED:
        messages.success(request, f"INR {rupees(top_up.amount_paise)} added to your wallet.")
    else:
        messages.error(
            request,
            f"The top-up was {top_up.get_state_display().lower()}: nothing was charged.",
        )
    return redirect("applications:wallet")


@csrf_exempt
@login_not_required
@require_POST
def wallet_top_up_notify(request: HttpRequest) -> JsonResponse:
    """The gateway's server-to-server notification of a top-up, authenticated by its HMAC."""
    return gateway_notification_answer(
        request, wallet.wallet_top_up_apply_event, wallet.TopUpRefused
    )


@exporter_required
@require_GET
def wallet_statement_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The whole ledger, streamed: rows are read from the database in chunks and sent as they
    are written, so a ledger of a million entries costs constant memory."""
    account = _wallet(request)
    rows = account.entries.select_related("application").order_by("sequence")
    response = StreamingHttpResponse(_statement_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="wallet-{account.firm.iec}-{timezone.localdate():%Y%m%d}.csv"'
    )
    return response


class _Line:
    """csv.writer's file: hands back each row it writes instead of keeping it."""

    def write(self, text: str) -> str:
        return text


def _statement_lines(rows: QuerySet[WalletEntry]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(
        ["Entry", "Date", "Kind", "Description", "Application", "Amount (INR)", "Balance (INR)"]
    )
    for entry in rows.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                entry.sequence,
                timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M"),
                entry.get_kind_display(),
                _csv_safe(entry.description),
                entry.application.reference if entry.application else "",
                rupees(entry.amount_paise),
                rupees(entry.balance_after_paise),
            ]
        )


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@exporter_required
@require_POST
def wallet_gstin(request: HttpRequest) -> HttpResponse:
    if refused := _not_a_keeper(request):
        return refused
    form = GSTINForm(request.POST)
    if form.is_valid():
        wallet.wallet_gstin_set(user=request.user, gstin=form.cleaned_data["gstin"])
        messages.success(
            request, gettext("Your GSTIN is saved; it is printed on your next tax invoices.")
        )
    else:
        for error in form.errors["gstin"]:
            messages.error(request, error)
    return redirect("applications:wallet")


@exporter_required
@require_GET
def tax_invoice_download(request: HttpRequest, tax_invoice_id: int) -> HttpResponse:
    # A fee's tax invoice is the application's paper: whoever may see the firm's applications
    # (members, its agents now). A top-up's receipt belongs to the wallet's managers.
    document = get_object_or_404(TaxInvoice.objects.select_related("top_up"), pk=tax_invoice_id)
    needs = firms.Capability.WALLET if document.top_up_id else firms.Capability.VIEW
    if not firms.may(request.user, document.firm_id, needs):
        raise Http404("No such tax invoice")
    name = document.kind.replace("_", "-")
    return _pdf(document_pdf(document), f"{name}-{document.number.replace('/', '-')}.pdf")


@exporter_required
@require_POST
def pay_from_wallet(request: HttpRequest, reference: str) -> HttpResponse:
    application = selectors.application_get_for_exporter(reference=reference, user=request.user)
    try:
        wallet.wallet_pay_fee(application_id=application.pk, user=request.user)
    except wallet.WalletError as exc:
        messages.error(request, str(exc))
        return redirect("applications:check", reference)
    messages.success(request, gettext("The fee was paid from your wallet."))
    return redirect("applications:receipt", reference)


def _submitted(request: HttpRequest, reference: str) -> Application:
    application = selectors.application_get_for_exporter(reference=reference, user=request.user)
    if application.first_submitted_at is None:
        raise Http404("Not submitted")
    return application


@exporter_required
@require_GET
def acknowledgement(request: HttpRequest, reference: str) -> HttpResponse:
    application = _submitted(request, reference)
    payment = selectors.captured_payment(application)
    return render(
        request,
        "applications/acknowledgement.html",
        {
            "application": application,
            "payment": payment,
            "invoice": TaxInvoice.objects.filter(payment=payment).first() if payment else None,
            "withdrawn": application.status == Status.WITHDRAWN,
            "next_steps": next_steps(application),
            "declaration": declaration_statement(application),
        },
    )


@exporter_required
@require_GET
def acknowledgement_download(request: HttpRequest, reference: str) -> HttpResponse:
    application = _submitted(request, reference)
    return _pdf(acknowledgement_pdf(application), f"acknowledgement-{reference}.pdf")
