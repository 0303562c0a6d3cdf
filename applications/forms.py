from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_stubs_ext import StrOrPromise

from accounts.models import IECRecord
from reference.hs import HS_CHAPTERS, hs_chapter, hs_clean, hs_subheading

from .models import (
    LINE_ITEM_FIELDS,
    PARTY_FIELDS,
    TRANSPORT_FIELDS,
    AgencyOffice,
    Application,
    CertificateType,
    CostSheet,
    CostSheetMaterial,
    DocumentKind,
    Invoice,
    LineItem,
    Status,
    TradeAgreement,
)
from .reference_checks import currency_clean, departure_date_check, invoice_date_check
from .selectors import offices_for

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
POSITIVE = [MinValueValidator(Decimal("0.001"), "Enter a number greater than 0.")]


def length_messages(form: forms.BaseForm) -> None:
    """Say which field is too long, by its label, in the words of the form it is on."""
    for name, field in form.fields.items():
        if isinstance(field, forms.CharField) and field.max_length:
            label = field.label or name.replace("_", " ").capitalize()
            field.error_messages["max_length"] = (
                f"{label} must be {field.max_length} characters or fewer (it has %(show_value)d)."
            )


def placeholder(form: forms.BaseForm, name: str, text: str) -> None:
    """Say what to choose ("Choose a country") instead of Django's "---------"."""
    field = form.fields[name]
    choices = list(field.choices)
    if choices and choices[0][0] == "":
        field.choices = [("", text), *choices[1:]]


def required_messages(form: forms.BaseForm, messages: Mapping[str, StrOrPromise]) -> None:
    """Give each named field its own message for an empty answer ("Enter the port of
    loading"), never Django's "This field is required." (tests/applications/test_form_errors.py
    walks every form)."""
    for name, message in messages.items():
        if name in form.fields:
            form.fields[name].error_messages["required"] = message


class LengthLimitedForm(forms.BaseForm):
    """A form whose too-long values are refused with the field's name and its limit, and whose
    empty required fields each say what to enter (`required`, field name -> message)."""

    required: ClassVar[Mapping[str, StrOrPromise]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        length_messages(self)
        required_messages(self, self.required)


def needs_percentage(criterion: str) -> bool:
    """Value-content criteria (RVC, QVC, and combinations with them) print a percentage."""
    return "RVC" in criterion or "QVC" in criterion


# ---------------------------------------------------------------------------------------------
# Apply for COO
# ---------------------------------------------------------------------------------------------


class ApplicationStartForm(forms.Form):
    certificate_type = forms.ChoiceField(
        label=_("Type of certificate"),
        choices=CertificateType.choices,
        widget=forms.RadioSelect(attrs={"class": "js-narrows"}),
        error_messages={"required": "Choose the type of certificate."},
    )
    agreement = forms.ModelChoiceField(
        label=_("Trade agreement"),
        queryset=TradeAgreement.objects.filter(is_active=True),
        required=False,
        empty_label=_("Choose the agreement"),
        help_text=_("Only for a preferential certificate."),
        widget=forms.Select(attrs={"class": "js-narrows"}),
    )
    destination_country = forms.ChoiceField(
        label=_("Destination (importing) country"),
        error_messages={"required": "Choose the destination country."},
    )
    office = forms.ModelChoiceField(
        label=_("Issuing agency and office"),
        queryset=AgencyOffice.objects.none(),
        empty_label=_("Choose the agency and office"),
        error_messages={"required": "Choose the issuing agency and office."},
    )

    def __init__(self, *args: Any, firms: QuerySet[IECRecord] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if firms is not None:
            # An agent's staff names the firm each time, from those authorising it now: never
            # a default, so a withdrawn authorisation cannot send a draft to another firm.
            self.fields["firm"] = forms.ModelChoiceField(
                label=_("Which firm are you filing for?"),
                queryset=firms,
                empty_label=None,
                widget=forms.RadioSelect,
                error_messages={
                    "required": "Choose the firm (IEC) you are filing for.",
                    "invalid_choice": "That firm does not authorise you now. Choose another.",
                },
            )
            self.fields["firm"].label_from_instance = lambda f: f"{f.firm_name} (IEC {f.iec})"
            self.order_fields(["firm"])
        agreement = self._chosen_agreement()
        if agreement is not None:
            partners = {c.code for c in agreement.partner_countries}
            choices = [(code, name) for code, name in countries if code in partners]
        else:
            choices = [(code, name) for code, name in countries if code != "IN"]
        self.fields["destination_country"].choices = [("", str(_("Choose a country"))), *choices]
        self.fields["office"].queryset = offices_for(agreement)
        self.fields["office"].label_from_instance = lambda o: (
            f"{o.agency.name} ({o.agency.code}), {o.name}"
        )

    def _chosen_agreement(self) -> TradeAgreement | None:
        data = self.data if self.is_bound else self.initial
        if data.get("certificate_type") != CertificateType.PREFERENTIAL:
            return None
        pk = data.get("agreement")
        if not pk or not str(pk).isdigit():
            return None
        return TradeAgreement.objects.filter(pk=pk, is_active=True).first()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        preferential = data.get("certificate_type") == CertificateType.PREFERENTIAL
        if preferential and not data.get("agreement"):
            self.add_error("agreement", "Choose the trade agreement.")
        if not preferential:
            data["agreement"] = None
        return data


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------


class SectionForm(LengthLimitedForm, forms.ModelForm):
    """A section that may be saved half-done ("Save and come back later"): with `partial`,
    no field is required, but whatever is entered is still checked."""

    def __init__(self, *args: Any, partial: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not partial and not isinstance(field, forms.BooleanField):
                field.required = True
            elif partial:
                field.required = False


FOREIGN_CERTIFICATE_FIELDS = (
    "foreign_certificate_number",
    "foreign_certificate_issuer",
    "foreign_certificate_country",
    "foreign_certificate_date",
)


FOREIGN_CERTIFICATE_MISSING = {
    "foreign_certificate_number": _("Enter the foreign certificate's number."),
    "foreign_certificate_issuer": _("Enter who issued the foreign certificate."),
    "foreign_certificate_country": _(
        "Choose the country of origin the foreign certificate certifies."
    ),
    "foreign_certificate_date": _("Enter the foreign certificate's date of issue."),
}


class PartiesForm(SectionForm):
    class Meta:
        model = Application
        fields = list(PARTY_FIELDS)
        widgets = {
            "foreign_certificate_date": DATE_WIDGET,
            "consignee_address": forms.Textarea(attrs={"rows": 3}),
            "third_party_invoice_date": DATE_WIDGET,
            "third_party_address": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "consignee_name": _("Consignee name"),
            "consignee_address": _("Consignee address"),
            "consignee_country": _("Consignee country"),
            "third_party_invoicing": _("The goods are invoiced by a third party"),
            "back_to_back": _(
                "The goods are re-exported as they came, with a foreign certificate "
                "of origin (back-to-back, non-preferential only)"
            ),
            "foreign_certificate_number": _("Foreign certificate's number"),
            "foreign_certificate_issuer": _("Issued by"),
            "foreign_certificate_country": _("Country of origin it certifies"),
            "foreign_certificate_date": _("Date of issue"),
        }

    required = {
        "consignee_name": _("Enter the consignee's name."),
        "consignee_address": _("Enter the consignee's address."),
        "consignee_country": _("Choose the consignee's country."),
    }

    def __init__(self, *args: Any, partial: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, partial=partial, **kwargs)
        for name in (
            "third_party_name",
            "third_party_address",
            "third_party_country",
            "third_party_invoice_number",
            "third_party_invoice_date",
            *FOREIGN_CERTIFICATE_FIELDS,
        ):
            self.fields[name].required = False
        if self.instance.pk and self.instance.is_preferential:
            for name in ("back_to_back", *FOREIGN_CERTIFICATE_FIELDS):
                del self.fields[name]
        else:
            placeholder(self, "foreign_certificate_country", str(_("Choose a country")))
        self.fields[
            "third_party_invoice_number"
        ].help_text = "The third party's own invoice, if it has issued one: printed beside yours."
        placeholder(self, "consignee_country", str(_("Choose a country")))
        placeholder(self, "third_party_country", str(_("Choose a country")))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("third_party_invoicing"):
            for name in ("third_party_name", "third_party_address", "third_party_country"):
                if not data.get(name) and not self.has_error(name):
                    self.add_error(
                        name,
                        _("Enter the third party's %(field)s.") % {"field": name.split("_", 2)[2]},
                    )
        else:
            for name in ("third_party_name", "third_party_address", "third_party_country"):
                data[name] = ""
            data["third_party_invoice_number"] = ""
            data["third_party_invoice_date"] = None
        if data.get("back_to_back"):
            for name in FOREIGN_CERTIFICATE_FIELDS:
                if not data.get(name) and not self.has_error(name):
                    self.add_error(name, FOREIGN_CERTIFICATE_MISSING[name])
        elif "back_to_back" in self.fields:
            for name in FOREIGN_CERTIFICATE_FIELDS:
                data[name] = None if name == "foreign_certificate_date" else ""
        return data


class TransportForm(SectionForm):
    class Meta:
        model = Application
        fields = list(TRANSPORT_FIELDS)
        widgets = {"departure_date": DATE_WIDGET}
        labels = {
            "transport_mode": _("Transport mode"),
            "vessel_or_flight": _("Vessel, flight or vehicle"),
            "port_of_loading": _("Port of loading"),
            "port_of_discharge": _("Port of discharge"),
            "departure_date": _("Departure date"),
        }

    required = {
        "transport_mode": _("Choose the mode of transport."),
        "vessel_or_flight": _("Enter the vessel, flight or vehicle."),
        "port_of_loading": _("Enter the port of loading."),
        "port_of_discharge": _("Enter the port of discharge."),
        "departure_date": _("Enter the departure date."),
    }

    def __init__(self, *args: Any, partial: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, partial=partial, **kwargs)
        placeholder(self, "transport_mode", str(_("Choose the mode of transport")))

    def clean_departure_date(self) -> Any:
        value = self.cleaned_data.get("departure_date")
        return departure_date_check(value) if value else value


class DeclarationForm(SectionForm):
    class Meta:
        model = Application
        fields = [
            "declaration_name",
            "declaration_designation",
            "declaration_place",
            "declaration_date",
            "declaration_accepted",
        ]
        widgets = {"declaration_date": DATE_WIDGET}
        labels = {
            "declaration_name": _("Name of the signatory"),
            "declaration_designation": _("Designation"),
            "declaration_place": _("Place"),
            "declaration_date": _("Date"),
            "declaration_accepted": _(
                "I declare that the above details and statements are correct, that all the "
                "goods were produced in India and that they comply with the origin "
                "requirements for the goods exported to the destination country."
            ),
        }

    required = {
        "declaration_name": _("Enter the name of the signatory."),
        "declaration_designation": _("Enter the signatory's designation."),
        "declaration_place": _("Enter the place where the declaration is made."),
        "declaration_date": _("Enter the date of the declaration."),
        "declaration_accepted": _("Tick the box to make the declaration."),
    }

    def __init__(self, *args: Any, partial: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, partial=partial, **kwargs)
        self.fields["declaration_accepted"].required = not partial


class InvoiceForm(LengthLimitedForm, forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["number", "date", "currency"]
        widgets = {"date": DATE_WIDGET}
        labels = {
            "number": _("Invoice number"),
            "date": _("Invoice date"),
            "currency": _("Currency"),
        }

    required = {
        "number": _("Enter the invoice number."),
        "date": _("Enter the invoice date."),
        "currency": _("Enter the currency of the invoice, such as USD."),
    }

    def clean_currency(self) -> str:
        return currency_clean(self.cleaned_data["currency"])

    def clean_date(self) -> Any:
        return invoice_date_check(self.cleaned_data["date"])


class LineItemForm(LengthLimitedForm, forms.ModelForm):
    """One line of goods, checked against HS 2022 and the agreement's origin criteria."""

    # Longer than 8 so that "8517.62.90" can be typed; clean_hs_code says what is wrong.
    hs_code = forms.CharField(label=_("HS code (8 digits)"), max_length=20)

    class Meta:
        model = LineItem
        fields = list(LINE_ITEM_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "quantity": _("Quantity"),
            "unit": _("Unit"),
            "marks_and_numbers": _("Marks and numbers"),
            "package_count": _("Number of packages"),
            "package_kind": _("Kind of packages"),
            "description": _("Description of goods"),
            "hs_code": _("HS code (8 digits)"),
            "criterion_percentage": _("Percentage (for a value-content criterion)"),
            "gross_weight_kg": _("Gross weight (kg)"),
            "fob_value": _("FOB value"),
            "fob_currency": _("FOB currency"),
        }

    required = {
        "package_count": _("Enter the number of packages."),
        "package_kind": _("Enter the kind of packages, such as cartons."),
        "description": _("Enter the description of the goods."),
        "hs_code": _("Enter the 8-digit HS code."),
        "origin_criterion": _("Choose the origin criterion."),
        "quantity": _("Enter the quantity."),
        "unit": _("Enter the unit of quantity, such as pcs or kg."),
        "gross_weight_kg": _("Enter the gross weight in kg."),
        "fob_value": _("Enter the FOB value."),
        "fob_currency": _("Enter the FOB currency, such as USD."),
    }

    # The order of the page (item_form.html), so that the error summary reads in that order.
    field_order = [
        "description",
        "hs_code",
        "origin_criterion",
        "criterion_percentage",
        "marks_and_numbers",
        "package_count",
        "package_kind",
        "quantity",
        "unit",
        "gross_weight_kg",
        "fob_value",
        "fob_currency",
    ]

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.application = application
        vocabulary = application.agreement.origin_criteria if application.agreement else []
        self.vocabulary = list(vocabulary)
        if application.is_preferential:
            self.fields["origin_criterion"] = forms.ChoiceField(
                label=_("Origin criterion"),
                choices=[("", "Choose the criterion"), *[(c, c) for c in vocabulary]],
                required=True,
                error_messages={
                    "required": self.required["origin_criterion"],
                    "invalid_choice": "%(value)s is not an origin criterion of "
                    f"{application.agreement.code}.",
                },
            )
        else:
            del self.fields["origin_criterion"]
            del self.fields["criterion_percentage"]
        for name in ("quantity", "gross_weight_kg", "fob_value"):
            self.fields[name].validators += POSITIVE
        self.fields["package_count"].min_value = 1
        self.fields["package_count"].error_messages["min_value"] = "Enter a number greater than 0."
        self.fields["hs_code"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "off", "list": "hs-suggestions"}
        )
        self.hs_description = ""

    def clean_hs_code(self) -> str:
        raw = self.cleaned_data.get("hs_code", "")
        code = hs_clean(raw)
        if not code.isdigit():
            raise ValidationError("Enter the HS code in digits only, such as 85176290.")
        if len(code) != 8:
            raise ValidationError(
                _("Enter the HS code as 8 digits; %(code)s has %(digits)s.")
                % {"code": code, "digits": len(code)}
            )
        if hs_chapter(code) not in HS_CHAPTERS:
            raise ValidationError(
                _(
                    "%(chapter)s is not an HS chapter. The first two digits are the chapter, "
                    "from 01 to 97 (77 is reserved); 98 and 99 are national or statistical "
                    "codes, not kinds of goods."
                )
                % {"chapter": code[:2]}
            )
        subheading = hs_subheading(code)
        if subheading is None:
            raise ValidationError(
                _("%(subheading)s is not an HS 2022 subheading.") % {"subheading": code[:6]}
            )
        self.hs_description = subheading.description
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        criterion = data.get("origin_criterion", "")
        pct = data.get("criterion_percentage")
        if criterion and needs_percentage(criterion):
            if pct is None and not self.has_error("criterion_percentage"):
                self.add_error(
                    "criterion_percentage",
                    _("Enter the percentage for the %(criterion)s criterion.")
                    % {"criterion": criterion},
                )
        elif self.application.is_preferential:
            data["criterion_percentage"] = None
        if pct is not None and not (Decimal("0") < pct <= Decimal("100")):
            self.add_error("criterion_percentage", "Enter a percentage between 0 and 100.")
        return data

    def clean_fob_currency(self) -> str:
        return currency_clean(self.cleaned_data["fob_currency"])

    def save_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.fields}


CSV_COLUMNS = list(LINE_ITEM_FIELDS)
CSV_MAX_ROWS = 500


class GoodsUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file of goods"),
        error_messages={"required": "Choose the CSV file of goods to upload."},
    )

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.application = application
        self.rows: list[dict[str, Any]] = []
        self.row_errors: list[str] = []

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > 1024 * 1024:
            raise ValidationError("The CSV file must be smaller than 1 MB.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError("Save the file as CSV (UTF-8) and upload it again.") from exc
        reader = csv.DictReader(io.StringIO(text))
        missing = [
            c
            for c in (
                "package_count",
                "package_kind",
                "description",
                "hs_code",
                "quantity",
                "unit",
                "gross_weight_kg",
                "fob_value",
            )
            if c not in (reader.fieldnames or [])
        ]
        if missing:
            raise ValidationError(
                _("The file has no column %(columns)s. Start from the template.")
                % {"columns": ", ".join(missing)}
            )
        for number, row in enumerate(reader, start=2):  # row 1 is the header
            if number - 1 > CSV_MAX_ROWS:
                raise ValidationError(
                    _("Upload at most %(rows)s rows at a time.") % {"rows": CSV_MAX_ROWS}
                )
            data = {k: (v or "").strip() for k, v in row.items() if k in CSV_COLUMNS}
            if not any(data.values()):
                continue
            data.setdefault("fob_currency", "USD")
            data["fob_currency"] = data["fob_currency"] or "USD"
            form = LineItemForm(data=data, application=self.application)
            if form.is_valid():
                self.rows.append(form.save_data())
            else:
                for field, errors in form.errors.items():
                    column = field if field != "__all__" else "row"
                    for error in errors:
                        self.row_errors.append(f"Row {number}, column {column}: {error}")
        if self.row_errors:
            raise ValidationError("Nothing was imported: correct these rows and upload again.")
        if not self.rows:
            raise ValidationError("The file has no rows of goods.")
        return upload


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type of document"),
        choices=DocumentKind.choices,
        error_messages={"required": "Choose the type of document."},
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG, at most 10 MB."),
        error_messages={"required": "Choose the file to upload."},
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def refused_after_check(self, message: str) -> None:
        """A file refused once its content was checked (after this page was left): the
        reason goes next to the file field, as for a refusal of the upload itself."""
        if not self.is_bound:
            self.full_clean()  # an unbound form's empty errors, so that one can be added
            self.cleaned_data = {}
        self.add_error("file", message)


class ReplyForm(LengthLimitedForm, forms.Form):
    reply = forms.CharField(
        label=_("Your reply to the officer"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        error_messages={"required": "Enter your reply to the officer."},
    )


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Status.choices]
    )
    q = forms.CharField(
        label=_("Reference, invoice, certificate number or consignee"),
        required=False,
        max_length=50,
        help_text=_(
            "Part of one, 3 characters or more; a shorter search matches a whole "
            "reference or invoice number."
        ),
    )


# ---------------------------------------------------------------------------------------------
# The cost sheet of a preferential item
# ---------------------------------------------------------------------------------------------


class CostSheetForm(forms.ModelForm):
    class Meta:
        model = CostSheet
        fields = ["method", "ex_works_value", "labour", "overhead", "profit", "other_costs"]
        labels = {
            "method": "How the regional value content is worked out",
            "ex_works_value": "Ex-works price (optional)",
            "labour": "Direct labour cost",
            "overhead": "Direct overhead cost",
            "profit": "Profit",
            "other_costs": "Other costs (indirect method)",
        }
        widgets = {"method": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("labour", "overhead", "profit", "other_costs"):
            self.fields[name].validators.append(MinValueValidator(0))
            self.fields[name].help_text = "In the item's FOB currency; used by the indirect method."

    def costs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class MaterialForm(forms.ModelForm):
    class Meta:
        model = CostSheetMaterial
        fields = ["description", "hs_code", "origin_country", "value", "originating", "evidence"]
        labels = {
            "value": "Value (in the item's FOB currency)",
            "originating": "Originating (of the exporting or a partner country, with proof)",
            "evidence": "Evidence of its origin",
        }

    def __init__(self, *args: Any, documents: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        evidence = self.fields["evidence"]
        if isinstance(evidence, forms.ModelChoiceField):  # always: a ForeignKey's field
            evidence.queryset = documents
            evidence.empty_label = "No document"
        self.fields["value"].validators.append(MinValueValidator(Decimal("0.01")))

    def clean_hs_code(self) -> str:
        return str(self.cleaned_data["hs_code"]).replace(".", "").replace(" ", "")


MaterialFormSet = forms.formset_factory(MaterialForm, extra=2, can_delete=True)


def material_formset(
    application: Application, sheet: CostSheet | None, data: Any = None
) -> forms.BaseFormSet:
    """The bill of materials as a formset: the sheet's materials, then two empty rows."""
    initial = [
        {
            "description": m.description,
            "hs_code": m.hs_code,
            "origin_country": m.origin_country,
            "value": m.value,
            "originating": m.originating,
            "evidence": m.evidence_id,
        }
        for m in (sheet.materials.all() if sheet else [])
    ]
    return MaterialFormSet(
        data,
        initial=initial,
        prefix="materials",
        form_kwargs={"documents": application.documents.all()},
    )


def materials_data(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    """The filled, kept rows of a valid material formset, in order."""
    return [
        {name: form.cleaned_data[name] for name in MaterialForm.Meta.fields}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]
