from __future__ import annotations

from django import forms


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Reason for revoking",
        help_text="The exporter and anyone who verifies the certificate will see this.",
        max_length=1000,
        error_messages={"required": "Give the reason for revoking the certificate."},
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the reason for revoking the certificate.")
        return reason
