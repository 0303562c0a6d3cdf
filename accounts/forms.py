"""Forms for registration, sign-in and password reset. Each failure has its own message next to
its field; none reveals what the IEC registry holds (the registration form checks only the
shape of what was typed: the registry is consulted by a task, accounts.enquiries)."""

from __future__ import annotations

from typing import Any

from captcha.conf import settings as captcha_settings
from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.models import CaptchaStore
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from .models import IEC_RE, normalise_iec, normalise_mobile
from .services import password_validate

IEC_FORMAT_MESSAGE = (
    "Enter a valid IEC Code: 10 digits, or 5 letters, 4 digits and a letter (like ABCDE1234F)."
)


class PortalCaptchaInput(CaptchaTextInput):  # type: ignore[misc]  # django-simple-captcha ships no types
    """The image, a refresh button (static/js/captcha.js) and the answer box."""

    template_name = "accounts/widgets/captcha.html"


class SingleUseCaptchaField(CaptchaField):  # type: ignore[misc]  # as above
    """django-simple-captcha's field, with the answer used up by one DELETE.

    The library reads the challenge and deletes it in two statements, so two requests racing
    with one solved image both pass. Here the DELETE of the row with this key and this answer
    decides: of requests racing, only the one whose DELETE removed the row passes.
    """

    def clean(self, value: Any) -> Any:
        forms.MultiValueField.clean(self, value)
        key, response = value[0], (value[1] or "").strip().lower()
        value[1] = ""
        if not captcha_settings.CAPTCHA_GET_FROM_POOL:
            CaptchaStore.remove_expired()
        if captcha_settings.CAPTCHA_TEST_MODE and response == "passed":
            CaptchaStore.objects.filter(hashkey=key).delete()
            return value
        deleted, _ = CaptchaStore.objects.filter(
            hashkey=key, response=response, expiration__gt=timezone.now()
        ).delete()
        if deleted != 1:
            # A wrong answer uses the image up as well, so one image cannot be guessed at.
            CaptchaStore.objects.filter(hashkey=key).delete()
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return value


def captcha_field() -> CaptchaField:
    return SingleUseCaptchaField(
        label=gettext_lazy("Type the characters in the image"),
        widget=PortalCaptchaInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={
            "invalid": "The characters you typed do not match the image. Try the new image.",
            "required": "Type the characters in the image.",
        },
    )


def iec_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("IEC Code"),
        max_length=20,
        error_messages={"required": "Enter your IEC Code."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "username",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "input--10",
            }
        ),
    )


def _clean_iec(value: str) -> str:
    iec = normalise_iec(value)
    if not IEC_RE.match(iec):
        raise ValidationError(IEC_FORMAT_MESSAGE)
    return iec


class RegistrationForm(forms.Form):
    iec = iec_field()
    email = forms.EmailField(
        label=gettext_lazy("Email ID"),
        help_text=gettext_lazy("The email registered against your IEC with DGFT."),
        error_messages={
            "required": "Enter the email ID registered against your IEC.",
            "invalid": "Enter an email ID like name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    mobile = forms.CharField(
        label=gettext_lazy("Mobile Number"),
        max_length=20,
        help_text=gettext_lazy("The mobile number registered against your IEC, 10 digits."),
        error_messages={"required": "Enter the mobile number registered against your IEC."},
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "inputmode": "numeric"}
        ),
    )
    captcha = captcha_field()

    def clean_iec(self) -> str:
        return _clean_iec(self.cleaned_data["iec"])

    def clean_mobile(self) -> str:
        mobile = normalise_mobile(self.cleaned_data["mobile"])
        if not mobile.startswith("+91") or len(mobile) != 13:
            raise ValidationError("Enter a mobile number of 10 digits, like 9876543210.")
        return mobile


def six_digit_code(
    *, label: StrOrPromise, help_text: StrOrPromise, missing: str, digits_only: bool
) -> forms.CharField:
    """The field of a 6-digit code (the SMS's, the authenticator app's); `missing` is said when
    it is left out or is not 6 characters long. `digits_only` asks the browser for digits."""
    attrs = {"autocomplete": "one-time-code", "inputmode": "numeric", "class": "input--6"}
    if digits_only:
        attrs["pattern"] = "[0-9]*"
    return forms.CharField(
        label=label,
        max_length=6,
        min_length=6,
        help_text=help_text,
        error_messages={"required": missing, "min_length": missing, "max_length": missing},
        widget=forms.TextInput(attrs=attrs),
    )


class OTPForm(forms.Form):
    code = six_digit_code(
        label=gettext_lazy("Code from the SMS"),
        help_text=gettext_lazy("6 digits, valid for 10 minutes."),
        missing="Enter the 6-digit code from the SMS.",
        digits_only=True,
    )

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise ValidationError("Enter the 6-digit code from the SMS.")
        return code


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        help_text=gettext_lazy(
            "At least 10 characters, not like your IEC or firm name, not a common password."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter a password."},
    )
    password2 = forms.CharField(
        label=gettext_lazy("Confirm the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter the password again."},
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The passwords do not match.")
        elif p1:
            try:
                password_validate(user=self.user, password=p1)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ResetPasswordForm(OTPForm, SetPasswordForm):
    """The mobile code and the new password, on one page."""

    field_order = ["code", "password1", "password2"]


def sign_in_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("IEC Code, username or email"),
        max_length=254,
        help_text=gettext_lazy(
            "The firm's administrator may use the IEC Code; every member and an "
            "agent's staff their own username or email."
        ),
        error_messages={"required": "Enter your IEC Code, username or email."},
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class LoginForm(forms.Form):
    """The CAPTCHA is checked first: with a wrong one, no password is ever tried. `iec` holds
    what the person signs in with: the IEC (its registrant), a username or an email."""

    iec = sign_in_field()
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )
    captcha = captcha_field()

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_iec(self) -> str:
        value = self.cleaned_data["iec"].strip()
        iec = normalise_iec(value)
        return iec if IEC_RE.match(iec) else value


class OfficerLoginForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
        error_messages={"required": "Enter your username."},
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )
    captcha = captcha_field()


class TOTPForm(forms.Form):
    code = six_digit_code(
        label=gettext_lazy("Code from your authenticator app"),
        help_text=gettext_lazy("6 digits; a new one appears every 30 seconds."),
        missing="Enter the 6-digit code from your authenticator app.",
        digits_only=False,
    )


class PasswordResetRequestForm(forms.Form):
    """What sign-in takes: the IEC (its registrant), or a member's username or email."""

    iec = sign_in_field()
    captcha = captcha_field()

    def clean_iec(self) -> str:
        value = self.cleaned_data["iec"].strip()
        iec = normalise_iec(value)
        return iec if IEC_RE.match(iec) else value
