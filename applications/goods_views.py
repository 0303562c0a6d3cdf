"""The exporter's goods pages: the list of line items, one item, its cost sheet, the CSV
import and its template, and the HS code look-up."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from reference.hs import hs_descriptions, hs_subheading, hs_suggest

from . import forms, selectors, services
from .page_guards import application_for, editable_application, exporter_page, signed_in
from .worksheet import item_worksheet


@exporter_page
@require_GET
def goods(request: HttpRequest, reference: str) -> HttpResponse:
    application = editable_application(request, reference)
    items = list(application.items.all())
    descriptions = hs_descriptions([i.hs_code for i in items])
    # What each preferential item's cost sheet says of its criterion, next to it.
    worksheets = {item.pk: sheet for item, sheet in selectors.item_worksheets(application)}
    return render(
        request,
        "applications/goods.html",
        {
            "application": application,
            "rows": [
                (item, descriptions.get(item.hs_code, ""), worksheets.get(item.pk))
                for item in items
            ],
        },
    )


@exporter_page
def item_edit(request: HttpRequest, reference: str, item_id: int | None = None) -> HttpResponse:
    application = editable_application(request, reference)
    item = get_object_or_404(application.items, pk=item_id) if item_id else None
    form = forms.LineItemForm(request.POST or None, instance=item, application=application)
    if request.method == "POST" and form.is_valid():
        kwargs: dict[str, Any] = {
            "application_id": application.pk,
            "exporter": signed_in(request),
            "data": form.save_data(),
        }
        if item:
            services.line_item_update(item_id=item.pk, **kwargs)
        else:
            services.line_item_add(**kwargs)
        return redirect("applications:goods", reference)
    hs = hs_subheading(form["hs_code"].value() or "") if form["hs_code"].value() else None
    return render(
        request,
        "applications/item_form.html",
        {
            "application": application,
            "form": form,
            "item": item,
            "hs_description": hs.description if hs else "",
        },
    )


@exporter_page
def cost_sheet(request: HttpRequest, reference: str, item_id: int) -> HttpResponse:
    """A preferential item's cost sheet, and what it works out for the item's criterion."""
    application = editable_application(request, reference)
    if application.agreement is None:
        raise Http404("Only a preferential item has a cost sheet.")
    items = application.items.select_related("cost_sheet")
    item = get_object_or_404(items, pk=item_id)
    sheet = getattr(item, "cost_sheet", None)
    form = forms.CostSheetForm(request.POST or None, instance=sheet)
    materials = forms.material_formset(application, sheet, request.POST or None)
    if request.method == "POST" and form.is_valid() and materials.is_valid():
        services.cost_sheet_save(
            application_id=application.pk,
            exporter=signed_in(request),
            item_id=item.pk,
            costs=form.costs(),
            materials=forms.materials_data(materials),
        )
        messages.success(
            request, gettext("Cost sheet of item %(position)s saved.") % {"position": item.position}
        )
        return redirect("applications:cost-sheet", reference, item.pk)
    return render(
        request,
        "applications/cost_sheet.html",
        {
            "application": application,
            "item": item,
            "form": form,
            "materials": materials,
            "worksheet": item_worksheet(item, application.agreement.code),
        },
    )


@exporter_page
@require_POST
def item_remove(request: HttpRequest, reference: str, item_id: int) -> HttpResponse:
    application = editable_application(request, reference)
    if services.line_item_remove(
        application_id=application.pk, exporter=signed_in(request), item_id=item_id
    ):
        messages.success(request, gettext("Item removed."))
    else:
        messages.error(
            request, gettext("That item is not on this application (nothing was removed).")
        )
    return redirect("applications:goods", reference)


@exporter_page
def goods_upload(request: HttpRequest, reference: str) -> HttpResponse:
    application = editable_application(request, reference)
    form = forms.GoodsUploadForm(
        request.POST or None, request.FILES or None, application=application
    )
    if request.method == "POST" and form.is_valid():
        items = services.line_items_import(
            application_id=application.pk, exporter=signed_in(request), rows=form.rows
        )
        messages.success(
            request,
            # One form for any count (the catalogue has no plural forms).
            gettext("Items imported: %(count)s.") % {"count": len(items)},
        )
        return redirect("applications:goods", reference)
    return render(
        request, "applications/goods_upload.html", {"application": application, "form": form}
    )


@exporter_page
@require_GET
def goods_template(request: HttpRequest, reference: str) -> HttpResponse:
    application = application_for(request, reference)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="goods-template.csv"'
    writer = csv.writer(response)
    writer.writerow(forms.CSV_COLUMNS)
    criterion = application.agreement.origin_criteria[0] if application.agreement else ""
    writer.writerow(
        [
            "ABC/1-10",
            "10",
            "cartons",
            "Cotton T-shirts, knitted",
            "61091000",
            criterion,
            "",
            "500",
            "pcs",
            "120.5",
            "2500.00",
            "USD",
        ]
    )
    return response


@exporter_page
@require_GET
def hs_lookup(request: HttpRequest) -> HttpResponse:
    """htmx: suggestions for the HS code field, and the description of an exact code."""
    query = request.GET.get("hs_code") or request.GET.get("q", "")
    exact = hs_subheading(query) if len(query.strip()) >= 6 else None
    return render(
        request,
        "applications/_hs_suggestions.html",
        {"suggestions": hs_suggest(query), "exact": exact},
    )
