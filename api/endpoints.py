"""The filing API, version 1 (/api/v1/): applications, documents, the fee, clarifications,
certificates, the acknowledgement and the tax invoice, for brokers' and exporters' systems.

Every endpoint acts as the token's person: the same selectors (firm scoping, 404 for anybody
else's), forms (every field rule) and services (every write) as the portal's pages, inside
`via_api()` so that the timeline says so. Errors are RFC 9457 problem details.
"""

# No `from __future__ import annotations`: django-ninja reads the annotations at run time,
# through the idempotency wrapper, whose module cannot resolve these names.

from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja import Status as Answer
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.params import functions as param

from accounts import firms
from accounts.models import ApiToken
from accounts.services import OTP_VALID_SECONDS
from applications import declaration, forms, selectors, services, wallet, workflow
from applications.acknowledgement import acknowledgement_pdf
from applications.declared import masked_number, signed_line
from applications.events import via_api
from applications.models import (
    Application,
    Payment,
    Status,
    TaxInvoice,
)
from applications.payments import gateway_get
from applications.tax import document_pdf
from certificates.models import Credential
from certificates.selectors import certificate_get_for_viewer, certificate_pdf_bytes
from core.body_limit import accepts_upload
from core.pagination import keyset_page
from verification.models import VerificationRequest
from verification.requests import (
    request_for_verifier,
    requests_of_organisation,
)
from verification.utilisation import verifier_organisation_of

from . import filing, schemas
from .auth import TokenAuth, require_capability, require_scope, user_of
from .idempotency import idempotent
from .problems import MEDIA_TYPE, ApiProblem, Problem, not_found, problem_response

Read, Draft, Submit = ApiToken.Scope.READ, ApiToken.Scope.DRAFT, ApiToken.Scope.SUBMIT
PROBLEMS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), Problem)
KEY = param.Header(None, alias="Idempotency-Key", max_length=255)
KIND_FIELD = param.Form(..., max_length=30)
FILE_FIELD = param.File(...)
PDF = {"200": {"description": "A PDF", "content": {"application/pdf": {}}}}


class FilingApi(NinjaAPI):
    # The document is the code's alone: built once per process and URL prefix, not on every
    # request (building it took about 270 ms of CPU, on a public URL; bench/pages.py).
    _documents: dict[str, Any] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        """Ninja's document, with the errors declared as what they are: problem+json."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        kept = self._documents.get(path_prefix)
        if kept is not None:
            return kept
        schema = super().get_openapi_schema(path_prefix=path_prefix)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for code, answer in operation["responses"].items():
                    content = answer.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        answer["content"] = {MEDIA_TYPE: content["application/json"]}
        self._documents[path_prefix] = schema
        return schema


api = FilingApi(
    title="COO Portal filing API",
    version="1",
    description="File, pay for and follow Certificates of Origin. See docs/api.md.",
    auth=TokenAuth(),
    urls_namespace="api-v1",
    docs_url="docs",
    openapi_url="openapi.json",
)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


@api.exception_handler(ApiProblem)
def _problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    return problem_response(request, exc)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    problem = ApiProblem(
        401,
        "Unauthorized",
        "Send a live API token: Authorization: Bearer coo_...",
        kind="unauthorized",
        headers={"WWW-Authenticate": "Bearer"},
    )
    return problem_response(request, problem)


@api.exception_handler(MultiPartParserError)
def _malformed(request: HttpRequest, exc: Exception) -> HttpResponse:
    problem = ApiProblem(400, "Bad request", "The multipart body is malformed.", kind="malformed")
    return problem_response(request, problem)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own refusals (a body that is not JSON) as problem details too."""
    title = "Bad request" if exc.status_code == 400 else "Error"
    problem = ApiProblem(exc.status_code, title, str(exc), kind="malformed")
    return problem_response(request, problem)


@api.exception_handler(Http404)
def _missing(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(request, not_found())


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()) if p not in {"body", "payload"}),
            "message": str(e.get("msg", "")),
        }
        for e in exc.errors
    ]
    problem = ApiProblem(422, "Invalid request", "The request is malformed.", kind="invalid")
    problem.errors = errors
    return problem_response(request, problem)


@api.exception_handler(workflow.WorkflowError)
def _refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(request, ApiProblem(409, "Conflict", str(exc), kind="workflow"))


@api.exception_handler(wallet.WalletError)
def _wallet_refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(request, ApiProblem(409, "Conflict", str(exc), kind="wallet"))


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _application(request: HttpRequest, reference: str) -> Application:
    """The application if the token's person may see it now (an agent whose authorisation
    was withdrawn gets the same 404 as for a reference that does not exist)."""
    return selectors.application_get_for_exporter(reference=reference, user=user_of(request))


def _summary(app: Application) -> dict[str, Any]:
    return {
        "reference": app.reference,
        "status": app.status,
        "iec": app.firm.iec,
        "client_reference": app.client_reference,
        "purchase_order_number": app.purchase_order_number,
        "certificate_type": app.certificate_type,
        "agreement": app.agreement.code if app.agreement else None,
        "destination_country": str(app.destination_country),
        "office": f"{app.agency.code}/{app.office.code}",
        "created_at": app.created_at,
        "updated_at": app.updated_at,
        "submitted_at": app.submitted_at,
    }


def _fields(app: Application, names: Any) -> dict[str, Any]:
    return {n: (str(v) if n.endswith("_country") else v) for n in names for v in [getattr(app, n)]}


def _detail(app: Application) -> dict[str, Any]:
    certificate = getattr(app, "certificate", None)
    return {
        **_summary(app),
        "parties": _fields(app, schemas.Parties.model_fields),
        "transport": _fields(app, schemas.Transport.model_fields),
        "remarks": app.remarks,
        "declaration": _fields(app, schemas.Declaration.model_fields),
        "invoices": [schemas.Invoice.from_orm(i).model_dump() for i in app.invoices.all()],
        "goods": [schemas.LineItem.from_orm(i).model_dump() for i in app.items.all()],
        "documents": [_document(d) for d in app.documents.all()],
        "fee_paid": selectors.captured_payment(app) is not None,
        "certificate_number": certificate.number if certificate else None,
        "timeline": [
            {
                "label": e.label,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": (e.actor.get_full_name() or e.actor.username) if e.actor else "system",
                "via_api": e.via_api,
                "note": e.note,
                "at": e.created_at,
            }
            for e in app.events.all()
        ],
    }


def _document(d: Any) -> dict[str, Any]:
    return {
        "id": d.pk,
        "kind": d.kind,
        "original_name": d.original_name,
        "content_type": d.content_type,
        "size": d.size,
        "sha256": d.sha256,
        "uploaded_at": d.created_at,
    }


# ---------------------------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------------------------


@api.get("/applications", response={200: schemas.Page, **PROBLEMS}, tags=["applications"])
def application_list(
    request: HttpRequest,
    status: Status | None = None,
    client_reference: str = param.Query("", max_length=100),
    invoice_number: str = param.Query("", max_length=50),
    updated_after: datetime | None = None,
    updated_before: datetime | None = None,
    cursor: str = param.Query("", max_length=200),
    limit: int = param.Query(25, ge=1, le=100),
) -> dict[str, Any]:
    """Your firms' applications, most recently updated first, a page at a time."""
    require_scope(request, Read)
    qs = selectors.applications_for_exporter(user=user_of(request), status=status or "")
    if client_reference:
        qs = qs.filter(client_reference=client_reference)
    if invoice_number:
        qs = qs.filter(invoices__number=invoice_number).distinct()
    if updated_after:
        qs = qs.filter(updated_at__gt=updated_after)
    if updated_before:
        qs = qs.filter(updated_at__lt=updated_before)
    page = keyset_page(qs, order=selectors.EXPORTER_LIST_ORDER, cursor=cursor, size=limit)
    return {"items": [_summary(a) for a in page], "next_cursor": page.next_cursor or None}


@api.post(
    "/applications", response={201: schemas.ApplicationDetail, **PROBLEMS}, tags=["applications"]
)
@idempotent
def application_create(
    request: HttpRequest, body: schemas.ApplicationCreate, idempotency_key: str | None = KEY
) -> Answer[dict[str, Any]]:
    """A new draft, with whatever parts are given (each checked as the portal's forms do)."""
    require_scope(request, Draft)
    with via_api():
        app = filing.draft_create(user=user_of(request), body=body)
    return Answer(201, _detail(_application(request, app.reference)))


@api.get(
    "/applications/{reference}",
    response={200: schemas.ApplicationDetail, **PROBLEMS},
    tags=["applications"],
)
def application_get(request: HttpRequest, reference: str) -> dict[str, Any]:
    """Everything about one application: parts, documents, fee, status and timeline."""
    require_scope(request, Read)
    return _detail(_application(request, reference))


@api.patch(
    "/applications/{reference}",
    response={200: schemas.ApplicationDetail, **PROBLEMS},
    tags=["applications"],
)
def application_update(
    request: HttpRequest, reference: str, body: schemas.ApplicationUpdate
) -> dict[str, Any]:
    """Change a draft (or an application sent back for clarification)."""
    require_scope(request, Draft)
    app = _application(request, reference)
    with transaction.atomic(), via_api():
        filing.draft_apply(user=user_of(request), application=app, body=body)
    return _detail(_application(request, reference))


@api.get(
    "/applications/{reference}/validation",
    response={200: schemas.Validation, **PROBLEMS},
    tags=["applications"],
)
def application_validate(request: HttpRequest, reference: str) -> dict[str, Any]:
    """What still stops submission: the "Check your answers" page's own list."""
    require_scope(request, Read)
    problems = selectors.submission_problems(_application(request, reference))
    return {"ready": not problems, "problems": problems}


@api.post(
    "/applications/{reference}/submit",
    response={200: schemas.ApplicationDetail, **PROBLEMS},
    tags=["applications"],
)
@idempotent
def application_submit(
    request: HttpRequest, reference: str, idempotency_key: str | None = KEY
) -> dict[str, Any]:
    """Submit a complete draft whose fee is paid (a signatory's, an administrator's or an
    authorised agent's token with the submit scope)."""
    require_scope(request, Submit)
    app = _application(request, reference)
    require_capability(request, app.firm_id, firms.Capability.SUBMIT)
    with via_api():
        workflow.application_submit(application_id=app.pk, exporter=user_of(request))
    return _detail(_application(request, reference))


@api.post(
    "/applications/{reference}/declaration/code",
    response={202: schemas.SigningCode, **PROBLEMS},
    tags=["applications"],
)
def declaration_code(request: HttpRequest, reference: str) -> Answer[dict[str, Any]]:
    """Send the token's person a one-time code by SMS to sign the declaration of the draft as
    it is now (its SHA-256 is returned). Sign with POST .../declaration/signature."""
    require_scope(request, Submit)
    app = _application(request, reference)
    require_capability(request, app.firm_id, firms.Capability.SUBMIT)
    with via_api():
        started = declaration.declaration_sign_start(application_id=app.pk, signer=user_of(request))
    return Answer(
        202,
        {
            "sent_to": masked_number(started.mobile),
            "sha256": started.content_sha256,
            "expires_in_seconds": OTP_VALID_SECONDS,
        },
    )


@api.post(
    "/applications/{reference}/declaration/signature",
    response={200: schemas.DeclarationSigned, **PROBLEMS},
    tags=["applications"],
)
def declaration_signature(
    request: HttpRequest, reference: str, body: schemas.SigningAnswer
) -> dict[str, Any]:
    """Sign the declaration with the code the signatory received (5 tries, 10 minutes); a
    change to the application since the code was sent refuses it (409)."""
    require_scope(request, Submit)
    app = _application(request, reference)
    require_capability(request, app.firm_id, firms.Capability.SUBMIT)
    with via_api():
        outcome = declaration.declaration_sign_confirm(
            application_id=app.pk, signer=user_of(request), code=body.code
        )
    if outcome.signature is None:
        raise ApiProblem(
            422,
            "Invalid request",
            kind="invalid",
            errors=[{"field": "code", "message": outcome.refused}],
        )
    return {
        "signed": signed_line(outcome.signature),
        "sha256": outcome.signature.content_sha256,
        "signed_at": outcome.signature.signed_at,
    }


@api.post(
    "/applications/{reference}/withdraw",
    response={200: schemas.ApplicationDetail, **PROBLEMS},
    tags=["applications"],
)
@idempotent
def application_withdraw(
    request: HttpRequest, reference: str, idempotency_key: str | None = KEY
) -> dict[str, Any]:
    require_scope(request, Submit)
    app = _application(request, reference)
    require_capability(request, app.firm_id, firms.Capability.SUBMIT)
    with via_api():
        workflow.application_withdraw(application_id=app.pk, exporter=user_of(request))
    return _detail(_application(request, reference))


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------


@api.get(
    "/applications/{reference}/documents",
    response={200: list[schemas.Document], **PROBLEMS},
    tags=["documents"],
)
def document_list(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    require_scope(request, Read)
    return [_document(d) for d in _application(request, reference).documents.all()]


def _upload_check(check: Any) -> dict[str, Any]:
    reference = check.application.reference
    return {
        "id": check.pk,
        "kind": check.kind,
        "original_name": check.original_name,
        "state": check.state,
        "message": check.message,
        "document": _document(check.document) if check.document is not None else None,
        "status_url": f"/api/v1/applications/{reference}/documents/checks/{check.pk}",
    }


@api.post(
    "/applications/{reference}/documents",
    response={202: schemas.UploadCheck, 413: Problem, **PROBLEMS},
    tags=["documents"],
)
@idempotent
def document_upload(
    request: HttpRequest,
    reference: str,
    kind: str = KIND_FIELD,
    file: UploadedFile = FILE_FIELD,
    idempotency_key: str | None = KEY,
) -> Answer[dict[str, Any]]:
    """Upload a commercial invoice, packing list, bill of lading or other document (PDF, JPEG
    or PNG). What can be said at once (empty, too large, not a PDF, JPEG or PNG) is a 422;
    otherwise the answer is 202 and the content is checked off the web threads, as on the
    portal: poll the check's `status_url` until its state is "accepted" or "refused". The
    document is on the application only once accepted."""
    require_scope(request, Draft)
    app = _application(request, reference)
    filing.bound(
        forms.DocumentUploadForm(data={"kind": kind}, files=MultiValueDict({"file": [file]}))
    )
    try:
        with via_api():
            check = services.upload_receive(
                application_id=app.pk, exporter=user_of(request), kind=kind, upload=file
            )
    except ValidationError as exc:
        raise ApiProblem(
            422,
            "Invalid request",
            kind="invalid",
            errors=[{"field": "file", "message": m} for m in exc.messages],
        ) from None
    # Read again after the commit: where tasks run in-process the check may be over already.
    check = selectors.upload_check_get_for_exporter(
        reference=app.reference, check_id=check.pk, user=user_of(request)
    )
    return Answer(202, _upload_check(check))


@api.get(
    "/applications/{reference}/documents/checks/{check_id}",
    response={200: schemas.UploadCheck, **PROBLEMS},
    tags=["documents"],
)
def document_check(request: HttpRequest, reference: str, check_id: int) -> dict[str, Any]:
    """An uploaded document's check: "checking", then "accepted" (with the document) or
    "refused" (with the reason)."""
    require_scope(request, Read)
    _application(request, reference)
    try:
        check = selectors.upload_check_get_for_exporter(
            reference=reference, check_id=check_id, user=user_of(request)
        )
    except Http404:
        raise not_found("No such upload on this application.") from None
    return _upload_check(check)


@api.delete(
    "/applications/{reference}/documents/{document_id}",
    response={204: None, **PROBLEMS},
    tags=["documents"],
)
def document_delete(request: HttpRequest, reference: str, document_id: int) -> Answer[None]:
    require_scope(request, Draft)
    app = _application(request, reference)
    with via_api():
        removed = services.document_remove(
            application_id=app.pk, exporter=user_of(request), document_id=document_id
        )
    if not removed:
        raise not_found("No such document on this application.")
    return Answer(204, None)


# ---------------------------------------------------------------------------------------------
# The fee
# ---------------------------------------------------------------------------------------------


@api.get("/applications/{reference}/fee", response={200: schemas.Fee, **PROBLEMS}, tags=["fee"])
def fee_get(request: HttpRequest, reference: str) -> dict[str, Any]:
    require_scope(request, Read)
    app = _application(request, reference)
    fee = selectors.fee_for(app)
    payment = selectors.captured_payment(app)
    invoice = TaxInvoice.objects.filter(payment=payment).first() if payment else None
    return {
        "amount": fee.amount if fee else None,
        "currency": fee.currency if fee else None,
        "paid": payment is not None,
        "paid_by": payment.gateway if payment else None,
        "tax_invoice_number": invoice.number if invoice else None,
    }


@api.post(
    "/applications/{reference}/fee/wallet",
    response={200: schemas.Fee, **PROBLEMS},
    tags=["fee"],
)
@idempotent
def fee_pay_from_wallet(
    request: HttpRequest, reference: str, idempotency_key: str | None = KEY
) -> dict[str, Any]:
    """Pay the fee from the firm's prepaid wallet (the submit scope: paying is the
    signatory's act)."""
    require_scope(request, Submit)
    app = _application(request, reference)
    require_capability(request, app.firm_id, firms.Capability.SUBMIT)
    with via_api():
        wallet.wallet_pay_fee(application_id=app.pk, user=user_of(request))
    return fee_get(request, reference)


@api.post(
    "/applications/{reference}/fee/card",
    response={201: schemas.CardPayment, **PROBLEMS},
    tags=["fee"],
)
@idempotent
def fee_card_link(
    request: HttpRequest, reference: str, idempotency_key: str | None = KEY
) -> Answer[dict[str, Any]]:
    """A card-payment link for a person to open in a browser (the gateway's checkout)."""
    require_scope(request, Submit)
    app = _application(request, reference)
    require_capability(request, app.firm_id, firms.Capability.SUBMIT)
    payment: Payment = services.payment_start(application_id=app.pk, exporter=user_of(request))
    url = request.build_absolute_uri(gateway_get().checkout_url(payment))
    return Answer(
        201,
        {
            "order_id": payment.order_id,
            "amount": payment.amount,
            "currency": payment.currency,
            "checkout_url": url,
        },
    )


# ---------------------------------------------------------------------------------------------
# Clarification
# ---------------------------------------------------------------------------------------------


@api.get(
    "/applications/{reference}/clarification",
    response={200: schemas.Clarification, **PROBLEMS},
    tags=["clarification"],
)
def clarification_get(request: HttpRequest, reference: str) -> dict[str, Any]:
    """The officer's question, while the application waits for a reply."""
    require_scope(request, Read)
    app = _application(request, reference)
    if app.status != Status.CLARIFICATION_REQUESTED:
        return {"requested": False, "message": "", "requested_at": None}
    asked = [e for e in app.events.all() if e.to_status == Status.CLARIFICATION_REQUESTED]
    last = asked[-1] if asked else None
    return {
        "requested": True,
        "message": last.note if last else "",
        "requested_at": last.created_at if last else None,
    }


@api.post(
    "/applications/{reference}/clarification/reply",
    response={200: schemas.ApplicationDetail, **PROBLEMS},
    tags=["clarification"],
)
@idempotent
def clarification_reply(
    request: HttpRequest,
    reference: str,
    body: schemas.Reply,
    idempotency_key: str | None = KEY,
) -> dict[str, Any]:
    """Reply to the officer and resubmit (make any changes with PATCH first)."""
    require_scope(request, Submit)
    app = _application(request, reference)
    require_capability(request, app.firm_id, firms.Capability.SUBMIT)
    reply = filing.bound(forms.ReplyForm(data={"reply": body.reply}))["reply"]
    with via_api():
        workflow.application_resubmit(application_id=app.pk, exporter=user_of(request), reply=reply)
    return _detail(_application(request, reference))


# ---------------------------------------------------------------------------------------------
# Papers: the certificate, its credential, the acknowledgement, the tax invoice
# ---------------------------------------------------------------------------------------------


def _file(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@api.get(
    "/applications/{reference}/certificate.pdf",
    response=PROBLEMS,
    openapi_extra={"responses": PDF},
    tags=["certificates"],
)
def certificate_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """The signed certificate, exactly as stored at issuance."""
    require_scope(request, Read)
    app = _application(request, reference)
    certificate = certificate_get_for_viewer(key=app.reference, user=user_of(request))
    filename = certificate.number.replace("/", "-") + ".pdf"
    return _file(certificate_pdf_bytes(certificate), "application/pdf", filename)


@api.get(
    "/applications/{reference}/certificate.jwt",
    response=PROBLEMS,
    openapi_extra={
        "responses": {"200": {"description": "vc+jwt", "content": {"application/vc+jwt": {}}}}
    },
    tags=["certificates"],
)
def certificate_credential(request: HttpRequest, reference: str) -> HttpResponse:
    """The certificate's Verifiable Credential (vc+jwt)."""
    require_scope(request, Read)
    app = _application(request, reference)
    certificate = certificate_get_for_viewer(key=app.reference, user=user_of(request))
    issued = Credential.objects.filter(certificate=certificate).exclude(jwt="").first()
    if issued is None:
        raise not_found("No credential was issued with this certificate.")
    filename = certificate.number.replace("/", "-") + ".jwt"
    return _file(issued.jwt, "application/vc+jwt", filename)


@api.get(
    "/applications/{reference}/acknowledgement.pdf",
    response=PROBLEMS,
    openapi_extra={"responses": PDF},
    tags=["certificates"],
)
def acknowledgement(request: HttpRequest, reference: str) -> HttpResponse:
    require_scope(request, Read)
    app = _application(request, reference)
    if app.first_submitted_at is None:
        raise not_found("The application has not been submitted.")
    return _file(acknowledgement_pdf(app), "application/pdf", f"acknowledgement-{reference}.pdf")


@api.get(
    "/applications/{reference}/tax-invoice.pdf",
    response=PROBLEMS,
    openapi_extra={"responses": PDF},
    tags=["fee"],
)
def tax_invoice(request: HttpRequest, reference: str) -> HttpResponse:
    """The agency's GST tax invoice for the fee."""
    require_scope(request, Read)
    app = _application(request, reference)
    payment = selectors.captured_payment(app)
    invoice = TaxInvoice.objects.filter(payment=payment).first() if payment else None
    if invoice is None:
        raise not_found("No tax invoice: the fee has not been paid.")
    filename = f"tax-invoice-{invoice.number.replace('/', '-')}.pdf"
    return _file(document_pdf(invoice), "application/pdf", filename)


# ---------------------------------------------------------------------------------------------
# Verification requests (issue 32): a customs authority's own, with the agency's finding
# ---------------------------------------------------------------------------------------------


def _verification_request(vr: VerificationRequest) -> dict[str, Any]:
    decided = vr.status == VerificationRequest.Status.DECIDED
    return {
        "id": vr.pk,
        "reference": vr.reference,
        "certificate_number": vr.certificate.number,
        "agency": vr.agency.code,
        "your_reference": vr.their_reference,
        "reasons": vr.reasons,
        "questions": vr.questions,
        "status": vr.status,
        "filed_at": vr.filed_at,
        "due_at": vr.due_at,
        "finding": vr.finding if decided else None,
        "finding_reasons": vr.finding_reasons if decided else None,
        "decided_at": vr.decided_at,
    }


def _verifier_organisation(request: HttpRequest) -> Any:
    require_scope(request, ApiToken.Scope.VERIFICATION)
    organisation = verifier_organisation_of(user_of(request))
    if organisation is None:
        raise ApiProblem(
            403,
            "Forbidden",
            "Only a confirmed verifier organisation's people may read verification requests.",
            kind="role",
        )
    return organisation


@api.get(
    "/verification-requests",
    response={200: list[schemas.VerificationRequest], **PROBLEMS},
    tags=["verification requests"],
)
def verification_request_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Your organisation's verification requests, the latest filed first (at most 200)."""
    organisation = _verifier_organisation(request)
    found = requests_of_organisation(organisation)[:200]
    return [_verification_request(vr) for vr in found]


@api.get(
    "/verification-requests/{request_id}",
    response={200: schemas.VerificationRequest, **PROBLEMS},
    tags=["verification requests"],
)
def verification_request_get(request: HttpRequest, request_id: int) -> dict[str, Any]:
    """One of your organisation's requests: its state and, once decided, the finding."""
    _verifier_organisation(request)
    try:
        vr = request_for_verifier(user_of(request), request_id)
    except VerificationRequest.DoesNotExist:
        raise not_found("No such verification request.") from None
    return _verification_request(vr)


def urls() -> tuple[list[Any], str, str]:
    """The API's URLconf, each view public to the session login (LoginRequiredMiddleware):
    the bearer token authenticates every call (TokenAuth), and the OpenAPI document and its
    page are public like any API reference. Bodies are limited as everywhere
    (core/body_limit.py): a document upload to UPLOAD_MAX_BYTES, the rest to
    DATA_UPLOAD_MAX_MEMORY_SIZE."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if pattern.callback is not None:
            login_not_required(pattern.callback)
            if str(pattern.pattern).endswith("/documents"):  # takes a file (body_limit)
                accepts_upload(pattern.callback)
    return patterns, app_name, namespace
