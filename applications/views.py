"""The exporter's pages: apply, the task list and its sections, pay, submit, track."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import get_valid_filename
from django.utils.translation import gettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts import firms
from accounts.forms import OTPForm
from core.body_limit import accepts_upload
from core.pagination import keyset_page
from core.storage import open_verified
from core.uploads import EXTENSIONS, TYPE_NAMES, name_for_content
from reference.hs import hs_descriptions

from . import declaration, forms, selectors, services, workflow
from .declared import declared_sha256, masked_number, signature_latest, signed_line
from .models import REQUIRED_DOCUMENTS, Application, DocumentKind, Payment, Status
from .notifications import Sent, verified_mobile
from .page_guards import application_for, editable_application, exporter_page
from .payment_views import payment_outcome_response
from .payments import SANDBOX, gateway_get, gateway_notification_answer, sandbox_active
from .wallet import refund_on_withdrawal, refund_told, wallet_balance_for

PAGE_SIZE = 25


# ---------------------------------------------------------------------------------------------
# My applications, apply, copy
# ---------------------------------------------------------------------------------------------


@exporter_page
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    form = forms.ListFilterForm(request.GET or None)
    status = query = ""
    if form.is_valid():
        status, query = form.cleaned_data["status"], form.cleaned_data["q"]
    # An agent's staff sees the IEC they act for, or with ?all=1 (or before choosing one)
    # every firm that authorises the agent now.
    firm_id = firms.acting_firm_id(request)
    if firms.agent_id_of(request.user) is not None and request.GET.get("all") == "1":
        firm_id = None
    qs = selectors.applications_for_exporter(
        user=request.user, firm_id=firm_id, status=status, query=query
    )
    page = keyset_page(
        qs,
        order=selectors.EXPORTER_LIST_ORDER,
        cursor=request.GET.get("cursor", ""),
        size=PAGE_SIZE,
    )
    keep = {"status": status, "q": query}
    if firm_id is None and request.GET.get("all") == "1":
        keep["all"] = "1"
    return render(
        request,
        "applications/list.html",
        {
            "form": form,
            "page_obj": page,
            "awaiting_signature": selectors.drafts_awaiting_signature(request.user),
            "keep": urlencode(keep),
            "filtered": bool(status or query),
            "scope_firm": firms.firms_for(request.user).filter(pk=firm_id).first()
            if firm_id is not None and firms.agent_id_of(request.user) is not None
            else None,
        },
    )


@exporter_page
def application_new(request: HttpRequest) -> HttpResponse:
    """Certificate type, agreement, destination and office. Choosing a type or an agreement
    narrows the other lists: htmx refreshes the form, and without JavaScript the "Update the
    lists" button does the same with a GET. An agent's staff names the firm each time, among
    those authorising it now (no default: never the last one, never the only one left)."""
    agent = firms.agent_id_of(request.user) is not None
    choices = firms.firms_for(request.user) if agent else None
    if choices is not None and not choices.exists():
        messages.error(request, gettext("No firm authorises your agency to file for it now."))
        return redirect("applications:list")
    if request.method == "POST":
        form = forms.ApplicationStartForm(request.POST, firms=choices)
        if form.is_valid():
            d = form.cleaned_data
            application = services.application_create(
                exporter=request.user,
                firm_id=d["firm"].pk if agent else firms.acting_firm_id(request),
                certificate_type=d["certificate_type"],
                agreement=d["agreement"],
                destination_country=d["destination_country"],
                agency=d["office"].agency,
                office=d["office"],
            )
            messages.success(
                request,
                gettext("Application %(reference)s started.")
                % {"reference": application.reference},
            )
            return redirect("applications:tasks", application.reference)
    else:
        form = forms.ApplicationStartForm(
            initial=request.GET.dict() or {"certificate_type": "non_preferential"}, firms=choices
        )
    template = "applications/_start_form.html" if request.htmx else "applications/new.html"
    return render(request, template, {"form": form})


@exporter_page
@require_POST
def application_copy(request: HttpRequest, reference: str) -> HttpResponse:
    source = application_for(request, reference)
    copy = services.application_copy(application_id=source.pk, exporter=request.user)
    messages.success(
        request,
        gettext(
            "%(copy)s is a new draft copied from %(reference)s. Upload the documents and pay "
            "the fee before you submit it."
        )
        % {"copy": copy.reference, "reference": reference},
    )
    return redirect("applications:tasks", copy.reference)


# ---------------------------------------------------------------------------------------------
# Task list and sections
# ---------------------------------------------------------------------------------------------


@exporter_page
@require_GET
def application_tasks(request: HttpRequest, reference: str) -> HttpResponse:
    application = application_for(request, reference)
    if not workflow.allowed(application, workflow.Action.EDIT, request.user):
        return redirect("applications:detail", reference)
    sections = selectors.application_sections(application)
    return render(
        request,
        "applications/tasks.html",
        {
            "application": application,
            "sections": sections,
            "completed": sum(s.done for s in sections),
            "payment": selectors.captured_payment(application),
            "fee": selectors.fee_for(application),
            "problems": selectors.submission_problems(application),
            "clarification": _last_clarification(application),
            **_submit_context(request, application),
        },
    )


def _submit_context(request: HttpRequest, application: Application) -> dict[str, Any]:
    """Whether the viewer may declare, pay and submit (or resubmit) this application now, and
    the plain words for a member who may not (a preparer)."""
    action = workflow.Action.SUBMIT
    if application.status == Status.CLARIFICATION_REQUESTED:
        action = workflow.Action.RESUBMIT
    elif application.is_self_declared:
        action = workflow.Action.SELF_DECLARE
    may_declare = firms.may(request.user, application.firm_id, firms.Capability.SUBMIT)
    return {
        "may_submit": may_declare and workflow.allowed(application, action, request.user),
        "may_declare": may_declare,
        "submit_refusal": "" if may_declare else SIGNATORY_SUBMITS,
    }


SIGNATORY_SUBMITS = (
    "You prepare this application: a signatory or an administrator of the firm makes the "
    "declaration, pays the fee and submits it."
)


SECTION_FORMS = {
    "parties": (forms.PartiesForm, "Exporter and consignee"),
    "transport": (forms.TransportForm, "Transport and route"),
    "declaration": (forms.DeclarationForm, "Exporter's declaration"),
}


@exporter_page
def application_section(request: HttpRequest, reference: str, section: str) -> HttpResponse:
    form_class, title = SECTION_FORMS[section]
    application = editable_application(request, reference)
    may_declare = firms.may(request.user, application.firm_id, firms.Capability.SUBMIT)
    if section == "declaration" and not may_declare:
        if request.method == "POST":
            messages.error(request, firms.SUBMIT_REFUSAL)
            return redirect("applications:tasks", reference)
        return render(
            request,
            "applications/section.html",
            {
                "application": application,
                "title": title,
                "section": section,
                "submit_refusal": SIGNATORY_SUBMITS,
            },
        )
    partial = "later" in request.POST
    initial = {}
    if (
        section == "declaration"
        and not application.declaration_name
        and not hasattr(request.user, "exporter_profile")  # the IEC's account bears the firm's name
    ):
        # The signatory who will submit is the one who declares: their name to start with.
        initial["declaration_name"] = request.user.get_full_name()
    form = form_class(request.POST or None, instance=application, partial=partial, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.application_update(
            application_id=application.pk, exporter=request.user, data=form.cleaned_data
        )
        if not partial:
            messages.success(request, gettext("%(title)s: saved.") % {"title": title})
        if section == "declaration" and not partial:
            return redirect("applications:declaration-sign", reference)
        return redirect("applications:tasks", reference)
    return render(
        request,
        "applications/section.html",
        {"application": application, "form": form, "title": title, "section": section},
    )


@exporter_page
def declaration_sign(request: HttpRequest, reference: str) -> HttpResponse:
    """Sign the declaration with a code sent to the signatory's verified mobile: "send" asks
    for a code for the application as it is now; a code signs it."""
    application = editable_application(request, reference)
    if not firms.may(request.user, application.firm_id, firms.Capability.SUBMIT):
        messages.error(request, firms.SUBMIT_REFUSAL)
        return redirect("applications:tasks", reference)
    form = OTPForm(request.POST if "code" in request.POST else None)
    if request.method == "POST" and "send" in request.POST:
        started = declaration.declaration_sign_start(
            application_id=application.pk, signer=request.user
        )
        messages.success(
            request,
            gettext("We sent a code to %(mobile)s.") % {"mobile": masked_number(started.mobile)},
        )
        return redirect("applications:declaration-sign", reference)
    if request.method == "POST" and form.is_valid():
        outcome = declaration.declaration_sign_confirm(
            application_id=application.pk, signer=request.user, code=form.cleaned_data["code"]
        )
        if outcome.signature is not None:
            messages.success(request, f"{signed_line(outcome.signature)}.")
            return redirect("applications:check", reference)
        form.add_error("code", outcome.refused)
    pending = declaration.declaration_pending(application=application, signer=request.user)
    return render(
        request,
        "applications/declaration_sign.html",
        {
            "application": application,
            "form": form,
            "pending": pending,
            "mobile": masked_number(verified_mobile(request.user)),
            "latest": signature_latest(application),
            "problem": selectors.signature_problem(application),
            "digest": declared_sha256(application),
            "checking": declaration.uploads_checking(application),
            "codes_per_hour": declaration.DECLARATION_CODES_PER_HOUR,
        },
        status=422 if form.errors else 200,
    )


@exporter_page
def application_invoices(request: HttpRequest, reference: str) -> HttpResponse:
    application = editable_application(request, reference)
    form = forms.InvoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.invoice_add(
            application_id=application.pk, exporter=request.user, data=form.cleaned_data
        )
        messages.success(
            request, gettext("Invoice %(number)s added.") % {"number": form.cleaned_data["number"]}
        )
        return redirect("applications:invoices", reference)
    return render(
        request,
        "applications/invoices.html",
        {
            "application": application,
            "form": form,
            "repeats": selectors.invoice_numbers_elsewhere(application),
        },
    )


@exporter_page
@require_POST
def invoice_remove(request: HttpRequest, reference: str, invoice_id: int) -> HttpResponse:
    application = editable_application(request, reference)
    services.invoice_remove(
        application_id=application.pk, exporter=request.user, invoice_id=invoice_id
    )
    return redirect("applications:invoices", reference)


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------


@accepts_upload
@exporter_page
def documents(request: HttpRequest, reference: str) -> HttpResponse:
    """Upload: what can be said at once is said at once; the content is checked off the web
    threads (services.upload_receive) and the page follows the check (upload_check_status),
    then tells its result once, a refusal next to the file field."""
    application = editable_application(request, reference)
    form = forms.DocumentUploadForm(
        request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.upload_receive(
                application_id=application.pk,
                exporter=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("applications:documents", reference)
    checks = selectors.upload_checks_to_show(application)
    # Each uploader is told of their own files' results (a colleague's appear as documents).
    finished = [
        c for c in checks if c.state != c.State.CHECKING and c.uploaded_by_id == request.user.pk
    ]
    for check in finished:
        if check.state == check.State.REFUSED and request.method == "GET":
            form.refused_after_check(f"{check.original_name}: {check.message}")
        elif check.state == check.State.ACCEPTED and check.document is not None:
            messages.success(request, _uploaded_message(check.document, check.original_name))
    services.upload_checks_told(application_id=application.pk, check_ids=[c.pk for c in finished])
    kinds = {d.kind for d in application.documents.all()}
    return render(
        request,
        "applications/documents.html",
        {
            "application": application,
            "form": form,
            "checking": [c for c in checks if c.state == c.State.CHECKING],
            "missing": [k for k in REQUIRED_DOCUMENTS if k not in kinds],
        },
        status=422 if form.errors else 200,  # a refused file: the page again, with the reason
    )


@exporter_page
@require_GET
def upload_check_status(request: HttpRequest, reference: str, check_id: int) -> HttpResponse:
    """htmx, every second while a file is being checked: the progress row; once the check has
    finished, the whole page is reloaded (HX-Refresh), which tells the result."""
    check = selectors.upload_check_get_for_exporter(
        reference=reference, check_id=check_id, user=request.user
    )
    if check.state != check.State.CHECKING:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "applications/_upload_checking.html", {"check": check})


def _uploaded_message(document: Any, uploaded_name: str) -> str:
    said = f"{document.get_kind_display()} uploaded."
    if name_for_content(uploaded_name, document.content_type) == uploaded_name:
        return said
    return (
        f"{said} The file was named {uploaded_name}, but it is {TYPE_NAMES[document.content_type]}"
        f", so it is kept as {document.original_name}."
    )


@exporter_page
@require_POST
def document_remove(request: HttpRequest, reference: str, document_id: int) -> HttpResponse:
    application = editable_application(request, reference)
    if services.document_remove(
        application_id=application.pk, exporter=request.user, document_id=document_id
    ):
        messages.success(request, gettext("Document deleted."))
    else:
        messages.error(
            request, gettext("That document is not on this application (nothing was deleted).")
        )
    return redirect("applications:documents", reference)


@require_GET
@xframe_options_sameorigin
def document_view(request: HttpRequest, reference: str, document_id: int) -> FileResponse:
    """The stored file, inline, for its owner and for verified officers of the agency."""
    document = selectors.document_get_for_viewer(
        reference=reference, document_id=document_id, user=request.user
    )
    stem = get_valid_filename(document.original_name.rsplit(".", 1)[0])[:80] or "document"
    filename = f"{stem}.{EXTENSIONS[document.content_type]}"
    response = FileResponse(
        open_verified(document.file, sha256=document.sha256),
        content_type=document.content_type,
        as_attachment=False,
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; "
        "style-src 'unsafe-inline'; frame-ancestors 'self'"
    )
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------------
# Check your answers, pay, submit
# ---------------------------------------------------------------------------------------------


@exporter_page
@require_GET
def application_check(request: HttpRequest, reference: str) -> HttpResponse:
    application = editable_application(request, reference)
    return _check_page(request, application, forms.ReplyForm())


def _check_page(
    request: HttpRequest, application: Application, reply_form: forms.ReplyForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "applications/check.html",
        {
            **_summary_context(application, change_links=True),
            "problems": selectors.submission_problems(application),
            "signature_problem": selectors.signature_problem(application),
            "payment": selectors.captured_payment(application),
            "fee": selectors.fee_for(application),
            "wallet_balance": wallet_balance_for(request.user, application.firm_id),  # or None
            # Only the firm's administrators open the wallet's page; others see no link to it.
            "keeps_firm_wallet": firms.may(
                request.user, application.firm_id, firms.Capability.WALLET
            ),
            "agent_wallet_refused": firms.role_in(request.user, application.firm_id) == firms.AGENT
            and not firms.may_pay_from_wallet(request.user, application.firm_id),
            "reply_form": reply_form,
            "preparer_problems": selectors.preparer_problems(application),
            **_submit_context(request, application),
        },
        status=status,
    )


@exporter_page
@require_POST
def payment_start(request: HttpRequest, reference: str) -> HttpResponse:
    application = application_for(request, reference)
    # The service refuses (WorkflowError) when the gateway is unavailable, before this.
    payment = services.payment_start(application_id=application.pk, exporter=request.user)
    return redirect(gateway_get().checkout_url(payment))


@exporter_page
def payment_sandbox(request: HttpRequest, order_id: str) -> HttpResponse:
    """The sandbox gateway's hosted page. On a choice it sends the signed server-to-server
    notification (in-process) and then sends the browser back with a signed return. It
    exists only where the sandbox is the gateway in use and is allowed (404 elsewhere)."""
    if not sandbox_active():
        raise Http404("No sandbox gateway here")
    payment = get_object_or_404(
        Payment.objects.select_related("application"),
        order_id=order_id,
        application__firm_id__in=firms.firm_ids_for(request.user),
    )
    outcome = request.POST.get("outcome")
    if request.method == "POST" and outcome in {"captured", "failed", "cancelled"}:
        payload = _sandbox_event(payment, outcome)
        signature = gateway_get(SANDBOX).sign(payload)
        with contextlib.suppress(services.PaymentRefused):
            # A refused notification is logged; the return below is refused the same way.
            services.payment_apply_event(
                payload=payload, signature=signature, source="notification"
            )
        query = urlencode({**payload, "signature": signature})
        return redirect(f"{reverse('applications:payment-return')}?{query}")
    return render(request, "applications/sandbox.html", {"order": payment})


def _sandbox_event(payment: Payment, outcome: str) -> dict[str, str]:
    import secrets

    return {
        "order_id": payment.order_id,
        "event_id": f"EVT-{secrets.token_hex(12)}",
        "status": outcome,
        "amount": f"{payment.amount:.2f}",
        "currency": payment.currency,
        "gateway_reference": f"SBX{secrets.token_hex(6).upper()}" if outcome == "captured" else "",
    }


PAYLOAD_KEYS = ("order_id", "event_id", "status", "amount", "currency", "gateway_reference")


@exporter_page
@require_GET
def payment_return(request: HttpRequest) -> HttpResponse:
    payload = {k: request.GET.get(k, "") for k in PAYLOAD_KEYS}
    payment = get_object_or_404(
        Payment.objects.select_related("application"),
        order_id=payload["order_id"],
        application__firm_id__in=firms.firm_ids_for(request.user),
    )
    reference = payment.application.reference
    try:
        outcome = services.payment_apply_event(
            payload=payload, signature=request.GET.get("signature", ""), source="return"
        )
    except services.PaymentRefused as exc:
        messages.error(request, f"The payment could not be confirmed: {exc}")
        return redirect("applications:tasks", reference)
    return payment_outcome_response(request, payment, outcome)


@csrf_exempt
@login_not_required
@require_POST
def payment_notify(request: HttpRequest) -> JsonResponse:
    """The gateway's server-to-server notification, authenticated by its HMAC signature."""
    return gateway_notification_answer(
        request, services.payment_apply_event, services.PaymentRefused
    )


@exporter_page
@require_GET
def payment_receipt(request: HttpRequest, reference: str) -> HttpResponse:
    application = application_for(request, reference)
    payment = selectors.captured_payment(application)
    if payment is None:
        raise Http404("No payment")
    return render(
        request, "applications/receipt.html", {"application": application, "payment": payment}
    )


@exporter_page
@require_POST
def application_request_signature(request: HttpRequest, reference: str) -> HttpResponse:
    """A preparer tells the firm's signatories that the draft is ready for them."""
    application = application_for(request, reference)
    done = services.application_request_signature(
        application_id=application.pk, preparer=request.user
    )
    if done.notified is not None and done.notified.deliveries:
        _tell(request, done.notified)
    else:
        messages.info(
            request,
            "The firm has no signatory or administrator with an email address to tell: it is "
            "on their list of applications ready for signature.",
        )
    return redirect("applications:check", reference)


@exporter_page
@require_POST
def application_submit(request: HttpRequest, reference: str) -> HttpResponse:
    application = application_for(request, reference)
    if workflow.allowed(application, workflow.Action.RESUBMIT, request.user):
        form = forms.ReplyForm(request.POST)
        if not form.is_valid():  # the page again, with the error at the box
            return _check_page(request, application, form, status=422)
        done = workflow.application_resubmit(
            application_id=application.pk, exporter=request.user, reply=form.cleaned_data["reply"]
        )
    else:
        done = workflow.application_submit(application_id=application.pk, exporter=request.user)
    _tell(request, done.notified)
    return redirect("applications:confirmation", reference)


@exporter_page
@require_GET
def application_confirmation(request: HttpRequest, reference: str) -> HttpResponse:
    application = application_for(request, reference)
    if application.status != Status.SUBMITTED:
        return redirect("applications:detail", reference)
    return render(
        request,
        "applications/confirmation.html",
        {"application": application, "sms": bool(verified_mobile(request.user))},
    )


# ---------------------------------------------------------------------------------------------
# Detail and withdraw
# ---------------------------------------------------------------------------------------------


@exporter_page
@require_GET
def application_detail(request: HttpRequest, reference: str) -> HttpResponse:
    application = application_for(request, reference)
    return render(
        request,
        "applications/detail.html",
        {
            **_summary_context(application, change_links=False),
            **_submit_context(request, application),
            "payment": selectors.captured_payment(application),
            "clarification": _last_clarification(application),
            "rejection": _last_event_to(application, Status.REJECTED),
        },
    )


@exporter_page
def application_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    application = application_for(request, reference)
    if request.method == "GET" and not workflow.allowed(
        application, workflow.Action.WITHDRAW, request.user
    ):
        reason = workflow.refusal(application, workflow.Action.WITHDRAW, request.user)
        messages.error(request, reason or "")
        return redirect("applications:detail", reference)
    if request.method == "POST":
        done = workflow.application_withdraw(application_id=application.pk, exporter=request.user)
        messages.success(request, f"{reference} has been withdrawn. {refund_told(application)}")
        _tell(request, done.notified)
        return redirect("applications:detail", reference)
    paid = application.payments.filter(state=Payment.State.CAPTURED).first()
    return render(
        request,
        "applications/withdraw.html",
        {"application": application, "paid": paid, "refund": refund_on_withdrawal(application)},
    )


def _tell(request: HttpRequest, sent: Sent | None) -> None:
    """Say exactly what the notification layer queued, and nothing when it queued nothing."""
    if sent is not None and sent.deliveries:
        messages.info(request, sent.message_for(request.user))


def _summary_context(application: Application, *, change_links: bool) -> dict[str, Any]:
    items = list(application.items.all())
    descriptions = hs_descriptions([i.hs_code for i in items])
    return {
        "application": application,
        "item_rows": [(item, descriptions.get(item.hs_code, "")) for item in items],
        "change_links": change_links
        and application.status in workflow.TRANSITIONS[workflow.Action.EDIT].sources,
        "document_kinds": DocumentKind,
    }


def _last_clarification(application: Application) -> Any:
    return _last_event_to(application, Status.CLARIFICATION_REQUESTED)


def _last_event_to(application: Application, status: Status) -> Any:
    """The event that brought the application to its current `status`, or None."""
    if application.status != status:
        return None
    events = [e for e in application.events.all() if e.to_status == status]
    return events[-1] if events else None
