from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat


class VerifyForm(forms.Form):
    """Number and code, as printed on the certificate. Sent by GET: the answer is a link."""

    number = forms.CharField(
        label="Certificate number",
        max_length=60,
        help_text="As printed at the top of the certificate, for example EIC/2026/MUM/0000123.",
        error_messages={"required": "Enter the certificate number"},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    code = forms.CharField(
        label="Verification code",
        max_length=40,
        help_text="The code printed beside the QR code, for example K7PX2M9QRT4W.",
        error_messages={"required": "Enter the verification code"},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )


class DocumentForm(forms.Form):
    document = forms.FileField(
        label="Certificate PDF",
        help_text="The PDF file you received, as it is. At most 10 MB.",
        error_messages={
            "required": "Choose the certificate PDF to check",
            "empty": "The chosen file is empty",
        },
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    expected_number = forms.CharField(
        label="Certificate number you expect (optional)",
        required=False,
        max_length=60,
        help_text=(
            "The number on the paper or in the documents you were given. A genuine PDF of "
            "another certificate is then flagged."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )

    def clean_document(self) -> object:
        document = self.cleaned_data["document"]
        limit = settings.UPLOAD_MAX_BYTES
        if document.size > limit:
            raise forms.ValidationError(f"The file must be at most {filesizeformat(limit)}")
        return document
