"""Forms for the officer pages: queue filters and the three decisions."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django import forms

from accounts.models import OfficerProfile, User
from applications.forms import LengthLimitedForm
from reference.models import AgencyOffice

from .selectors import TABS_BY_KEY, QueueFilters, agency_officers, queue_filter_choices
from .services import MISSING_REASON

NON_PREFERENTIAL = "non_preferential"


class QueueFilterForm(forms.Form):
    """GET filters of the queue. Unknown or foreign values are simply ignored."""

    tab = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        help_text="Reference, IEC, firm name, invoice number or the filer's reference: part of "
        "one, 3 characters or more; a shorter search matches a whole reference or invoice "
        "number.",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    agreement = forms.ChoiceField(label="Agreement", required=False)
    office = forms.ChoiceField(label="Office", required=False)
    scope = forms.ChoiceField(
        label="Offices",
        required=False,
        choices=[("mine", "My office"), ("all", "All offices of the agency")],
    )
    mine = forms.BooleanField(label="Assigned to me", required=False)

    def __init__(self, *args: Any, profile: OfficerProfile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agreements, offices = queue_filter_choices(profile=profile)
        self._agreements = {str(a.pk): a for a in agreements}
        self._offices = {str(o.pk): o for o in offices}
        cast(forms.ChoiceField, self.fields["agreement"]).choices = [
            ("", "Any"),
            (NON_PREFERENTIAL, "Non-preferential"),
            *((pk, a.code) for pk, a in self._agreements.items()),
        ]
        cast(forms.ChoiceField, self.fields["office"]).choices = [
            ("", "Any"),
            *((pk, f"{o.code} {o.name}") for pk, o in self._offices.items()),
        ]

    def filters(self) -> QueueFilters:
        data = self.cleaned_data if self.is_valid() else {}
        tab = data.get("tab") or "new"
        agreement_key = data.get("agreement") or ""
        return QueueFilters(
            tab=tab if tab in TABS_BY_KEY else "new",
            all_offices=data.get("scope") == "all",
            agreement=self._agreements.get(agreement_key),
            non_preferential=agreement_key == NON_PREFERENTIAL,
            office=self._offices.get(data.get("office") or ""),
            mine=bool(data.get("mine")),
            query=data.get("q") or "",
        )


class ApproveForm(LengthLimitedForm, forms.Form):
    """`flagged`: the risk checks found something, so the reason for approving is required."""

    override_reason = forms.CharField(
        label="Reason for approving over the risk flags",
        required=False,
        max_length=2000,
        help_text="It goes on the application's timeline with the flags, which the exporter "
        "also sees.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    remark = forms.CharField(
        label="Remark (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, flagged: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flagged = flagged
        if not flagged:
            del self.fields["override_reason"]

    def clean_override_reason(self) -> str:
        reason: str = self.cleaned_data.get("override_reason", "").strip()
        if self.flagged and not reason:
            raise forms.ValidationError(MISSING_REASON)
        return reason


class RejectForm(LengthLimitedForm, forms.Form):
    reason = forms.CharField(
        label="Reason for rejection",
        max_length=2000,
        help_text="The exporter sees this reason.",
        error_messages={"required": "Give the reason for rejecting the application."},
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ClarifyForm(LengthLimitedForm, forms.Form):
    message = forms.CharField(
        label="What the exporter needs to clarify",
        max_length=2000,
        help_text="The exporter sees this message and can edit the application and resubmit.",
        error_messages={"required": "Write what the exporter needs to clarify."},
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReassignForm(forms.Form):
    to_officer = forms.ModelChoiceField(
        label="Assign to",
        queryset=User.objects.none(),
        empty_label=None,
        error_messages={
            "required": "Choose the officer to assign it to.",
            "invalid_choice": "Choose an officer of your agency.",
        },
    )

    def __init__(self, *args: Any, profile: OfficerProfile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[User]", self.fields["to_officer"])
        field.queryset = agency_officers(profile=profile)
        field.label_from_instance = _officer_label  # type: ignore[method-assign,assignment]  # Django's documented way to label a ModelChoiceField's options


def _officer_label(officer: User) -> str:
    return officer.get_full_name() or officer.username


class _OfficeChoiceMixin:
    """An `office` field offering the offices of the administrator's agency."""

    def _offices(self, profile: OfficerProfile) -> None:
        field = self.fields["office"]  # type: ignore[attr-defined]  # a mixin of forms.Form
        field.queryset = AgencyOffice.objects.filter(agency_id=profile.agency_id).order_by("code")
        field.label_from_instance = lambda o: f"{o.code} {o.name}"


class OfficerInviteForm(_OfficeChoiceMixin, LengthLimitedForm, forms.Form):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="The invitation link is sent here.",
    )
    username = forms.RegexField(
        label="Username",
        max_length=150,
        regex=r"^[\w.@+-]+$",
        help_text="What the officer signs in with: letters, digits and . @ + - _ only.",
        error_messages={"invalid": "Use only letters, digits and . @ + - _ in the username."},
    )
    office = forms.ModelChoiceField(
        label="Office",
        queryset=AgencyOffice.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose an office of your agency."},
    )
    required: ClassVar[dict[str, str]] = {
        "first_name": "Enter the officer's first name.",
        "email": "Enter the officer's email address.",
        "username": "Choose a username for the officer.",
    }

    def __init__(self, *args: Any, profile: OfficerProfile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._offices(profile)


class OfficerOfficeForm(_OfficeChoiceMixin, forms.Form):
    office = forms.ModelChoiceField(
        label="Office",
        queryset=AgencyOffice.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose an office of your agency."},
    )

    def __init__(self, *args: Any, profile: OfficerProfile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._offices(profile)


class OfficerOtherOfficesForm(forms.Form):
    """The other offices of the agency an officer serves (checkboxes; none is fine)."""

    other_offices = forms.ModelMultipleChoiceField(
        label="Other offices served",
        required=False,
        queryset=AgencyOffice.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Their queue shows these offices' applications too, and they are told of them.",
        error_messages={"invalid_choice": "Choose offices of your agency."},
    )

    def __init__(
        self, *args: Any, profile: OfficerProfile, officer_profile: OfficerProfile, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelMultipleChoiceField[AgencyOffice]", self.fields["other_offices"])
        field.queryset = (
            AgencyOffice.objects.filter(agency_id=profile.agency_id)
            .exclude(pk=officer_profile.office_id)
            .order_by("code")
        )
        field.label_from_instance = _office_label  # type: ignore[method-assign,assignment]  # Django's documented way to label a ModelChoiceField's options


def _office_label(office: AgencyOffice) -> str:
    return f"{office.code} {office.name}"


class ReportFilterForm(forms.Form):
    """GET filters of a report. Without valid dates: the last 30 days."""

    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period = forms.ChoiceField(
        label="By",
        required=False,
        choices=[("day", "Day"), ("week", "Week"), ("month", "Month")],
    )
    dimension = forms.ChoiceField(
        label="Broken down by",
        required=False,
        choices=[
            ("office", "Office"),
            ("agreement", "Agreement"),
            ("destination", "Destination"),
            ("status", "Status"),
        ],
    )

    MAX_DAYS = 3 * 366

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "Enter a date on or after the start date.")
        elif start and end and (end - start).days >= self.MAX_DAYS:
            self.add_error("end", "Choose a range of at most three years.")
        return data
