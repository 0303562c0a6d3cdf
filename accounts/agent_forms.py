"""Forms of the agents' pages: registration, the firm's authorisations, the IEC switcher."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .agents import AUTHORISATION_MAX_DAYS, normalise_licence, period_problem, username_validate
from .forms import RegistrationForm, SetPasswordForm, captcha_field
from .models import Agent

PAN_RE = re.compile(r"^[A-Z]{5}\d{4}[A-Z]$")
LICENCE_RE = re.compile(r"^[A-Z0-9/-]{4,30}$")


def _licence_field() -> forms.CharField:
    return forms.CharField(
        label=_("Licence number"),
        max_length=40,
        help_text=_("The customs broker's licence (CBLR) or the forwarder's registration number."),
        error_messages={"required": "Enter the licence number."},
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )


def _clean_licence(value: str) -> str:
    licence = normalise_licence(value)
    if not LICENCE_RE.match(licence):
        raise ValidationError(
            "Enter the licence number: 4 to 30 letters, digits, hyphens or slashes."
        )
    return licence


class AgentRegistrationForm(forms.Form):
    name = forms.CharField(
        label=_("Firm name"), max_length=200, error_messages={"required": "Enter the firm name."}
    )
    kind = forms.ChoiceField(
        label=_("The firm is a"),
        choices=Agent.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose customs broker or freight forwarder."},
    )
    licence_number = _licence_field()
    pan = forms.CharField(
        label=_("PAN"),
        max_length=10,
        error_messages={"required": "Enter the firm's PAN."},
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "class": "input--10"}),
    )
    person_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        help_text=_("You will administer the agent's account on this portal."),
        error_messages={"required": "Enter your name."},
    )
    email = RegistrationForm.base_fields["email"]
    mobile = RegistrationForm.base_fields["mobile"]
    captcha = captcha_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = "We send a link to it."
        self.fields["mobile"].help_text = "We send a 6-digit code to it, 10 digits."

    def clean_licence_number(self) -> str:
        return _clean_licence(self.cleaned_data["licence_number"])

    def clean_pan(self) -> str:
        pan = str(self.cleaned_data["pan"]).strip().upper()
        if not PAN_RE.match(pan):
            raise ValidationError(
                "Enter a PAN of 5 letters, 4 digits and a letter, like ABCDE1234F."
            )
        return pan

    clean_mobile = RegistrationForm.clean_mobile


class AgentAccountForm(SetPasswordForm):
    """The username and password of the agent's administrator, chosen at the end."""

    username = forms.CharField(
        label=_("Username"),
        max_length=30,
        help_text=_("4 to 30 letters, digits, dots, hyphens or underscores. You sign in with it."),
        error_messages={"required": "Choose a username."},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    field_order = ["username", "password1", "password2"]

    def clean_username(self) -> str:
        return username_validate(str(self.cleaned_data["username"]))


class AuthorisationForm(forms.Form):
    licence_number = _licence_field()
    start = forms.DateField(
        label=_("First day"),
        error_messages={"required": "Enter the first day.", "invalid": "Enter a real date."},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=_("Last day"),
        help_text=f"At most {AUTHORISATION_MAX_DAYS} days after the first. You can withdraw "
        "the authorisation at any moment.",
        error_messages={"required": "Enter the last day.", "invalid": "Enter a real date."},
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_licence_number(self) -> str:
        return _clean_licence(self.cleaned_data["licence_number"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            problem = period_problem(start=start, end=end)
            if problem:
                self.add_error(
                    "end" if "last day" in problem or "most" in problem else "start", problem
                )
        return data


class ActingFirmForm(forms.Form):
    firm = forms.TypedChoiceField(
        label=_("Filing for"),
        coerce=int,
        error_messages={
            "required": "Choose an IEC.",
            "invalid_choice": "Choose an IEC from the list.",
        },
    )

    def __init__(self, *args: Any, firms: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["firm"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101 - declared just above
        field.choices = [(f.pk, f"{f.iec} {f.firm_name}") for f in firms]


class AgentsWalletForm(forms.Form):
    """The firm's setting: may its authorised agents pay fees from its wallet?"""

    agents_pay_from_wallet = forms.BooleanField(
        label=_("Authorised agents may pay fees from the firm's fee wallet"),
        required=False,
        help_text=_(
            "Off: an agent pays each fee by card. On: an agent may also spend the "
            "wallet's balance, as your signatories can."
        ),
    )


AGENT_ROLE_CHOICES = [
    ("staff", _("Staff: files, declares, pays and submits for the firms that authorise you")),
    ("administrator", _("Administrator: all that, and manages the agent's staff")),
]


class AgentStaffRoleForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=AGENT_ROLE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a role.")},
    )

    @property
    def administrator(self) -> bool:
        return bool(self.cleaned_data["role"] == "administrator")


class AgentStaffInviteForm(AgentStaffRoleForm):
    name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        error_messages={"required": _("Enter the person's full name.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("Email ID"),
        help_text=_("We send the invitation link here. It lasts 7 days and works once."),
        error_messages={
            "required": _("Enter the person's email ID."),
            "invalid": _("Enter an email ID like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    field_order = ["name", "email", "role"]

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()
