"""Forms of the fee wallet's pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .tax import GSTIN_RE


class TopUpForm(forms.Form):
    amount = forms.IntegerField(
        label=_("Amount to add, in rupees"),
        help_text=_("Whole rupees."),
        error_messages={
            "required": _("Enter the amount to add."),
            "invalid": _("Enter whole rupees."),
        },
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Django forms take loosely typed *args/**kwargs
        low, high = settings.WALLET_TOP_UP_MIN, settings.WALLET_TOP_UP_MAX
        field = self.fields["amount"]
        assert isinstance(field, forms.IntegerField)  # noqa: S101 - declared above
        field.help_text = gettext("Whole rupees, from %(low)s to %(high)s.") % {
            "low": low,
            "high": high,
        }
        field.min_value, field.max_value = low, high
        field.validators = [
            MinValueValidator(low, gettext("Add at least INR %(low)s.") % {"low": low}),
            MaxValueValidator(
                high, gettext("Add at most INR %(high)s at a time.") % {"high": high}
            ),
        ]


class GSTINForm(forms.Form):
    gstin = forms.CharField(
        label=_("Your firm's GSTIN"),
        help_text=_(
            "15 characters, for example 27ABCDE1234F1Z5. Leave it empty if the firm is "
            "not registered for GST."
        ),
        required=False,
        max_length=15,
    )

    def clean_gstin(self) -> str:
        value: str = self.cleaned_data["gstin"].strip().upper()
        if value and not GSTIN_RE.match(value):
            raise forms.ValidationError(
                gettext(
                    "Enter a GSTIN of 15 characters: 2 digits, 10 of the PAN, then 3 more "
                    "(for example 27ABCDE1234F1Z5)."
                )
            )
        return value
