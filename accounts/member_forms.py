"""Forms of the firm's people pages and of accepting an invitation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .forms import SetPasswordForm, captcha_field
from .members import username_validate
from .models import FirmInvitation, FirmRole, User, normalise_mobile

ROLE_HINTS = {
    FirmRole.ADMINISTRATOR: "Everything: people, agents, the fee wallet, applications.",
    FirmRole.SIGNATORY: "Drafts and documents, and declares, pays and submits applications.",
    FirmRole.PREPARER: "Drafts applications and uploads documents; cannot pay or submit.",
}


def role_field(label: str = "Role") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=[(role.value, f"{role.label}: {ROLE_HINTS[role]}") for role in FirmRole],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a role."},
    )


class InviteForm(forms.Form):
    name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        error_messages={"required": "Enter the person's full name."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("Email ID"),
        help_text=_("We send the invitation link here. It lasts 7 days and works once."),
        error_messages={
            "required": "Enter the person's email ID.",
            "invalid": "Enter an email ID like name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = role_field()

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class RoleForm(forms.Form):
    role = role_field("New role")


class InvitationDetailsForm(SetPasswordForm):
    """The invitee's username, password and mobile number, with a CAPTCHA (checked first, as
    everywhere a visitor not signed in can make the portal send an SMS). The password rules
    are SetPasswordForm's, checked against the person the invitation names."""

    field_order = ["username", "password1", "password2", "mobile", "captcha"]

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_(
            "You sign in with it (or with your email ID). Letters, digits and . _ + - only."
        ),
        error_messages={"required": "Choose a username."},
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        help_text=_("10 digits. We send a code to it now, and later what you should know by SMS."),
        error_messages={"required": "Enter your mobile number."},
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "inputmode": "numeric"}
        ),
    )
    captcha = captcha_field()

    def __init__(self, invitation: FirmInvitation, *args: Any, **kwargs: Any) -> None:
        self.invitation = invitation
        person = User(email=invitation.email, first_name=invitation.name[:150])
        super().__init__(person, *args, **kwargs)
        self.fields["password1"].label = "Password"
        self.fields[
            "password1"
        ].help_text = "At least 10 characters, not like your name or email, not a common password."

    def clean_username(self) -> str:
        return username_validate(self.cleaned_data["username"])

    def clean_mobile(self) -> str:
        mobile = normalise_mobile(self.cleaned_data["mobile"])
        if not mobile.startswith("+91") or len(mobile) != 13:
            raise ValidationError("Enter a mobile number of 10 digits, like 9876543210.")
        return mobile

    def clean(self) -> dict[str, Any]:
        self.user.username = self.cleaned_data.get("username", "")  # similarity is checked
        return super().clean()
