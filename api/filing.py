"""Filing a draft from the API's body: the start form, then each part through its portal form
and service, all or nothing. Shared by the API's create and update, and by bulk filing."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts import firms
from accounts.models import IECRecord, User
from applications import forms, services
from applications.models import AgencyOffice, Application, TradeAgreement

from . import schemas
from .problems import ApiProblem, form_errors, not_found


def bound(form: Any) -> Any:
    if not form.is_valid():
        raise form_errors(form)
    return form.cleaned_data


def prefixed(problem: ApiProblem, prefix: str) -> ApiProblem:
    for error in problem.errors:
        error["field"] = f"{prefix}.{error['field']}" if error["field"] else prefix
    return problem


def draft_apply(*, user: User, application: Application, body: schemas.ApplicationUpdate) -> None:
    """Write the parts of `body` that are given, each through its portal form and service,
    all or nothing (the caller's transaction)."""
    app = application
    sections: list[tuple[str, Any, dict[str, Any]]] = []
    if body.parties is not None:
        sections.append(("parties", forms.PartiesForm, body.parties.model_dump()))
    if body.transport is not None:
        sections.append(("transport", forms.TransportForm, body.transport.model_dump()))
    if body.declaration is not None:
        sections.append(("declaration", forms.DeclarationForm, body.declaration.model_dump()))
    for prefix, form_class, data in sections:
        data = {k: v for k, v in data.items() if v is not None and v is not False}
        form = form_class(data=data, instance=app, partial=True)
        try:
            cleaned = bound(form)
        except ApiProblem as problem:
            raise prefixed(problem, prefix) from None
        services.application_update(application_id=app.pk, exporter=user, data=cleaned)
    plain = {
        k: v
        for k, v in {
            "client_reference": body.client_reference,
            "purchase_order_number": body.purchase_order_number,
            "remarks": body.remarks,
        }.items()
        if v is not None
    }
    if plain:
        services.application_update(application_id=app.pk, exporter=user, data=plain)
    if body.invoices is not None:
        for invoice in app.invoices.all():
            services.invoice_remove(application_id=app.pk, exporter=user, invoice_id=invoice.pk)
        for n, invoice_in in enumerate(body.invoices):
            try:
                cleaned = bound(forms.InvoiceForm(data=invoice_in.model_dump()))
            except ApiProblem as problem:
                raise prefixed(problem, f"invoices[{n}]") from None
            services.invoice_add(application_id=app.pk, exporter=user, data=cleaned)
    if body.goods is not None:
        for item in app.items.all():
            services.line_item_remove(application_id=app.pk, exporter=user, item_id=item.pk)
        app.refresh_from_db()
        for n, item_in in enumerate(body.goods):
            data = {k: v for k, v in item_in.model_dump().items() if v is not None}
            form = forms.LineItemForm(data=data, application=app)
            try:
                bound(form)
            except ApiProblem as problem:
                raise prefixed(problem, f"goods[{n}]") from None
            services.line_item_add(application_id=app.pk, exporter=user, data=form.save_data())


def _start_data(body: schemas.ApplicationCreate) -> dict[str, Any]:
    """The start form's data from codes: the office as AGENCY/OFFICE, the agreement by code."""
    agency_code, _, office_code = body.office.partition("/")
    office = AgencyOffice.objects.filter(agency__code=agency_code, code=office_code).first()
    agreement = (
        TradeAgreement.objects.filter(code=body.agreement).first() if body.agreement else None
    )
    if body.agreement and agreement is None:
        raise ApiProblem(
            422,
            "Invalid request",
            kind="invalid",
            errors=[{"field": "agreement", "message": "No such trade agreement."}],
        )
    return {
        "certificate_type": body.certificate_type,
        "agreement": agreement.pk if agreement else "",
        "destination_country": body.destination_country,
        "office": office.pk if office else "0",
    }


def _firm_id(user: User, iec: str | None) -> int:
    mine = firms.firm_ids_for(user)
    if iec:
        firm = IECRecord.objects.filter(iec=iec.upper(), pk__in=mine).first()
        if firm is None:
            raise not_found("No firm with this IEC authorises you to file for it.")
        return firm.pk
    if len(mine) != 1:
        raise ApiProblem(
            422,
            "Invalid request",
            kind="invalid",
            errors=[{"field": "iec", "message": "Name the IEC you file for."}],
        )
    return next(iter(mine))


@transaction.atomic
def draft_create(*, user: User, body: schemas.ApplicationCreate) -> Application:
    """A new draft for the firm named by `body.iec` (or the only one `user` files for), with
    whatever parts `body` gives. Raises ApiProblem (404 for a firm that is not the person's
    now, 403 for one they may not draft for, 422 with the forms' messages)."""
    firm_id = _firm_id(user, body.iec)
    if not firms.may(user, firm_id, firms.Capability.DRAFT):
        raise ApiProblem(403, "Forbidden", firms.NOT_YOURS, kind="role")
    start = bound(forms.ApplicationStartForm(data=_start_data(body)))
    application = services.application_create(
        exporter=user,
        firm_id=firm_id,
        certificate_type=start["certificate_type"],
        agreement=start["agreement"],
        destination_country=start["destination_country"],
        agency=start["office"].agency,
        office=start["office"],
    )
    draft_apply(user=user, application=application, body=body)
    return application
