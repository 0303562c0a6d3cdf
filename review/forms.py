"""Forms for the officer pages: queue filters and the three decisions."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import OfficerProfile, User
from applications.forms import LengthLimitedForm

from .selectors import TABS_BY_KEY, QueueFilters, agency_officers, queue_filter_choices

NON_PREFERENTIAL = "non_preferential"


class QueueFilterForm(forms.Form):
    """GET filters of the queue. Unknown or foreign values are simply ignored."""

    tab = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        help_text="Reference, IEC, firm name, invoice number or the filer's reference",
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
        self.fields["agreement"].choices = [
            ("", "Any"),
            (NON_PREFERENTIAL, "Non-preferential"),
            *((pk, a.code) for pk, a in self._agreements.items()),
        ]
        self.fields["office"].choices = [
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
    remark = forms.CharField(
        label="Remark (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


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
        field = self.fields["to_officer"]
        field.queryset = agency_officers(profile=profile)
        field.label_from_instance = lambda u: u.get_full_name() or u.username
