"""`{% page_has_form_errors as x %}`: whether any form the page renders was refused, so that
base.html loads static/js/autofocus.js (focus to the error summary) only then."""

from __future__ import annotations

from django import forms, template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_has_form_errors(context: template.Context) -> bool:
    for value in context.flatten().values():
        # Only forms already validated: asking a bound form for .errors would validate it here
        # (and use up a CAPTCHA answer).
        if isinstance(value, forms.BaseForm) and getattr(value, "_errors", None):
            return True
    return False
