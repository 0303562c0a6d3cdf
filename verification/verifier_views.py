"""Pages of verifier organisations (customs authorities, banks): recording an import.

Login required (the default) past the verifiers' second factor (verifier_required); the
person must act for a confirmed organisation (utilisation.verifier_organisation_of) and
know the certificate's verification code, as every verifier does: a wrong number or code is
the same 404 as on the public page.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from accounts.models import User
from accounts.permissions import has_second_factor
from certificates.models import Certificate

from .answers import verify_path
from .forms import UtilisationForm
from .models import Utilisation
from .utilisation import UtilisationError, utilisation_record, verifier_organisation_of

View = Callable[..., HttpResponse]


def verifier_required(view: View) -> View:
    """Signed in as a verifier of a confirmed organisation, past the second factor."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or (
            user.role == User.Role.VERIFIER and not has_second_factor(user)
        ):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('accounts:verifier-login')}?{query}")
        if verifier_organisation_of(user) is None:  # every other persona, or not confirmed
            return render(request, "verification/not_a_verifier.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _certificate(number: str, code: str) -> Certificate:
    certificate = Certificate.objects.filter(number=number).first()
    expected = certificate.verification_code if certificate else "-" * 12
    if certificate is None or not hmac.compare_digest(expected.encode(), code.encode()):
        raise Http404("No certificate matches this number and code.")
    return certificate


@require_http_methods(["GET", "POST"])
@verifier_required
def record_import(request: HttpRequest, number: str) -> HttpResponse:
    user = cast(User, request.user)  # login is required: never anonymous here
    organisation = verifier_organisation_of(user)
    assert organisation is not None  # noqa: S101 - verifier_required
    code = request.GET.get("code", "")
    certificate = _certificate(number, code)
    form = UtilisationForm(request.POST or None)
    error = ""
    if form.is_valid():
        try:
            claim = utilisation_record(
                certificate_id=certificate.pk,
                user=user,
                **form.cleaned_data,
            )
        except UtilisationError as exc:
            error = str(exc)
        else:
            if claim.outcome == Utilisation.Outcome.RECORDED:
                messages.success(
                    request,
                    gettext("Import %(entry)s recorded on %(number)s.")
                    % {"entry": claim.entry_number, "number": number},
                )
                return redirect(verify_path(certificate))
            error = gettext("Refused: %(reason)s The issuing agency has been told.") % {
                "reason": claim.refusal_reason
            }
    context = {
        "form": form,
        "certificate": certificate,
        "organisation": organisation,
        "error": error,
        "code": code,
    }
    return render(request, "verification/record_import.html", context, status=400 if error else 200)
