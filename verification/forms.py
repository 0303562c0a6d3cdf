from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .models import VerificationRequest


class VerifyForm(forms.Form):
    """Number and code, as printed on the certificate. Sent by GET: the answer is a link."""

    number = forms.CharField(
        label=_("Certificate number"),
        max_length=60,
        help_text=_("As printed at the top of the certificate, for example EIC/2026/MUM/0000123."),
        error_messages={"required": "Enter the certificate number"},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    code = forms.CharField(
        label=_("Verification code"),
        max_length=40,
        help_text=_("The code printed beside the QR code, for example K7PX2M9QRT4W."),
        error_messages={"required": "Enter the verification code"},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )


class DocumentForm(forms.Form):
    document = forms.FileField(
        label=_("Certificate PDF"),
        help_text=_("The PDF file you received, as it is. At most 10 MB."),
        error_messages={
            "required": "Choose the certificate PDF to check",
            "empty": "The chosen file is empty",
        },
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    expected_number = forms.CharField(
        label=_("Certificate number you expect (optional)"),
        required=False,
        max_length=60,
        help_text=_(
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
            raise forms.ValidationError(
                _("The file must be at most %(size)s") % {"size": filesizeformat(limit)}
            )
        return document


# A credential of a certificate with many lines of goods is a few tens of kilobytes.
CREDENTIAL_MAX_BYTES = 512 * 1024


class CredentialForm(forms.Form):
    """A credential (vc+jwt) pasted as text or uploaded as a file: one of the two."""

    credential = forms.CharField(
        label=_("Credential"),
        required=False,
        max_length=CREDENTIAL_MAX_BYTES,
        help_text=_("Paste the credential as you received it: three parts separated by dots."),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
    )
    upload = forms.FileField(
        label=_("Or upload the credential file, or the certificate PDF"),
        required=False,
        help_text=_(
            "The .jwt file downloaded from the portal (at most 512 KB), or the certificate PDF: "
            "the credential inside it is checked, and must be that certificate's."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".jwt,application/vc+jwt,text/plain,.pdf,application/pdf"}
        ),
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        pasted = (cleaned.get("credential") or "").strip()
        upload = cleaned.get("upload")
        if upload is not None:
            head = upload.read(1024)
            upload.seek(0)
            if b"%PDF-" in head:  # a certificate PDF: checked as the upload check does
                if upload.size > settings.UPLOAD_MAX_BYTES:
                    limit = filesizeformat(settings.UPLOAD_MAX_BYTES)
                    raise forms.ValidationError(
                        _("The PDF must be at most %(limit)s") % {"limit": limit}
                    )
                cleaned["pdf"] = upload.read()
                cleaned["token"] = ""
                return cleaned
            if upload.size > CREDENTIAL_MAX_BYTES:
                raise forms.ValidationError("The file must be at most 512 KB")
            try:
                pasted = upload.read().decode("ascii").strip()
            except UnicodeDecodeError:
                raise forms.ValidationError(
                    "The file is not a credential: a credential is plain text."
                ) from None
        if not pasted:
            raise forms.ValidationError("Paste the credential or choose its file")
        cleaned["token"] = pasted
        return cleaned


class UtilisationForm(forms.Form):
    """An import a confirmed verifier records on a certificate (verification/utilisation.py)."""

    entry_number = forms.CharField(
        label=_("Bill of entry number"),
        max_length=40,
        error_messages={"required": "Enter the bill of entry number"},
    )
    entry_date = forms.DateField(
        label=_("Date of the entry"),
        help_text=_("For example 2026-12-07."),
        error_messages={"required": "Enter the date of the entry", "invalid": "Enter a real date"},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    port = forms.CharField(
        label=_("Port of import"),
        max_length=100,
        error_messages={"required": "Enter the port of import"},
    )
    item_position = forms.IntegerField(
        label=_("Item on the certificate"),
        min_value=1,
        initial=1,
        error_messages={"required": "Enter the item number", "min_value": "Items start at 1"},
    )
    quantity = forms.DecimalField(
        label=_("Quantity imported"),
        max_digits=14,
        decimal_places=3,
        min_value=Decimal("0.001"),
        help_text=_("In the unit the certificate gives for that item."),
        error_messages={
            "required": "Enter the quantity imported",
            "min_value": "Enter a quantity above zero",
        },
    )


class SubscribeForm(forms.Form):
    """Hear of a certificate's changes: by email, or by a signed webhook."""

    channel = forms.ChoiceField(
        label=_("How should we tell you?"),
        choices=[("email", "By email"), ("webhook", "By a webhook (for customs and bank systems)")],
        initial="email",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose email or webhook"},
    )
    target = forms.CharField(
        label=_("Email address or webhook URL"),
        max_length=500,
        help_text=_("A webhook URL must start with https://."),
        error_messages={"required": "Enter an email address or a webhook URL"},
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by content when the step is recorded."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self, data: object, initial: object = None) -> list[object]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class VerificationRequestForm(forms.Form):
    """A customs authority's request to verify a certificate (verification/requests.py)."""

    reasons = forms.MultipleChoiceField(
        label="Why do you ask?",
        choices=VerificationRequest.Reason.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one reason"},
    )
    questions = forms.CharField(
        label="What should the issuing agency verify?",
        max_length=5000,
        help_text="Your questions, and the documents you ask the exporter to show.",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Write what you ask the issuing agency to verify"},
    )
    their_reference = forms.CharField(
        label="Your reference (optional)", max_length=60, required=False
    )
    attachments = MultipleFileField(
        label="Documents (optional)",
        required=False,
        help_text="PDF, JPEG or PNG, up to 5 files, together at most 10 MB.",
    )


class RequestAnswerForm(forms.Form):
    """The exporter's answer: text and evidence."""

    answer = forms.CharField(
        label="Your answer",
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Explain how the goods meet the origin criterion; list what you attach.",
    )
    evidence = MultipleFileField(
        label="Evidence",
        required=False,
        help_text=(
            "Cost sheets, purchase invoices of materials, production records: PDF, JPEG or "
            "PNG, up to 5 files, together at most 10 MB."
        ),
    )


class VerifierTokenForm(forms.Form):
    name = forms.CharField(label="Token name", max_length=100, initial="Customs system")
    days = forms.IntegerField(label="Valid for (days)", min_value=1, max_value=365, initial=90)
