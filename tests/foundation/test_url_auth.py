"""Login is required by default: every named URL, fetched anonymously, sends the visitor to a
login page, except the views on this allow-list, each public on purpose."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

PUBLIC = {
    "home",
    "healthz",
    "readyz",
    "dev-outbox",
    "captcha-image",
    "captcha-image-2x",
    "captcha-audio",
    "captcha-refresh",
    # accounts: signing in, registering and recovering an account
    "accounts:login",
    "accounts:register",
    "accounts:register-email-sent",
    "accounts:verify-email",
    "accounts:register-otp",
    "accounts:register-otp-resend",
    "accounts:register-password",
    "accounts:register-done",
    "accounts:password-reset",
    "accounts:password-reset-sent",
    "accounts:password-reset-confirm",
    "accounts:password-reset-otp",
    "accounts:password-reset-otp-resend",
    "accounts:password-reset-complete",
    "accounts:officer-login",
    # accounts: an agent's registration (issue 13)
    "accounts:agent-register",
    "accounts:agent-register-sent",
    "accounts:agent-verify-email",
    "accounts:agent-register-otp",
    "accounts:agent-register-otp-resend",
    "accounts:agent-register-account",
    "accounts:agent-register-done",
    # accepting a firm's invitation, by the emailed link
    "accounts:invitation-open",
    "accounts:officer-invitation",
    # the verifiers' sign-in (customs authorities, banks); its code steps go back to it
    "accounts:verifier-login",
    "accounts:invitation-details",
    "accounts:invitation-otp",
    "accounts:invitation-otp-resend",
    "accounts:invitation-done",
    # the payment gateway's server-to-server notification (authenticated by its HMAC)
    "applications:payment-notify",
    "applications:payment-webhook",
    "applications:wallet-top-up-notify",
    # public verification
    "verification:verify",
    "verification:verify-certificate",
    "verification:document",
    "verification:api-certificate",
    "verification:pdf",
    "verification:ca-certificate",
    # the agency CAs' certificate revocation lists
    "pki-crl",
    # Verifiable Credentials: the check, the download (number + code), keys, context, lists
    "verification:credential",
    "verification:credential-download",
    "verification:did-portal",
    "verification:did-agency",
    "verification:jwks",
    "verification:credential-context",
    "verification:status-list",
    "verification:status-messages",  # which entries of the list are superseded, not revoked
    "set-language",  # the language page (a first visitor's switcher)
    # the agencies' transparency logs: signed heads, proofs and leaves
    "verification:log-head",
    "verification:log-head-at",
    "verification:log-consistency",
    "verification:log-inclusion",
    "verification:log-leaves",
    # status subscriptions: subscribe with number + code, unsubscribe by the link's token
    "verification:subscribe",
    "verification:unsubscribe",
    # the filing API's reference (issue 30); its calls answer 401 without a token (below)
    "api-v1:openapi-json",
    "api-v1:openapi-view",
    "api-v1:api-root",
}

SAMPLE_ARGS = {
    "int": "1",
    "str": "sample",
    "slug": "sample",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "path": "EIC/2026/MUM/0000001",
}


def walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            yield from walk(
                p.url_patterns,
                prefix + str(p.pattern),
                f"{namespace}{ns}:" if ns else namespace,
            )
        else:
            yield f"{namespace}{p.name}" if p.name else "", p, prefix + str(p.pattern)


def sample_url(name: str, pattern: URLPattern) -> str:
    converters = getattr(pattern.pattern, "converters", {})
    if converters:
        kwargs = {
            k: SAMPLE_ARGS.get(type(c).__name__.replace("Converter", "").lower(), "1")
            for k, c in converters.items()
        }
        return reverse(name, kwargs=kwargs)
    groups = re.compile(str(pattern.pattern)).groupindex
    if groups:
        return reverse(name, kwargs=dict.fromkeys(groups, "abc"))
    return reverse(name)


def all_patterns():
    return list(walk(get_resolver().url_patterns))


def test_every_url_pattern_has_a_name():
    # Django's admin adds unnamed redirects ("<object_id>/" per model, a catch-all); they are
    # not ours to name.
    unnamed = [
        route for name, _p, route in all_patterns() if not name and not route.startswith("admin/")
    ]
    assert unnamed == []


def test_the_allow_list_names_only_real_urls():
    names = {name for name, _p, _r in all_patterns()}
    # Names on the allow-list that no URL carries would hide a typo; a few are optional.
    optional = {
        "accounts:register-email-sent",
        "accounts:password-reset-sent",
        "accounts:password-reset-complete",
        "accounts:password-reset-otp-resend",
        "accounts:register-otp-resend",
    }
    assert PUBLIC - optional - names == set()


def login_pages() -> tuple[str, ...]:
    """Exporters sign in at accounts:login; officer pages send people to the officer sign-in."""
    return (
        reverse("accounts:login"),
        reverse("accounts:officer-login"),
        reverse("accounts:verifier-login"),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "pattern"),
    [(n, p) for n, p, _r in all_patterns() if n and not n.startswith("admin:")],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_anonymous_get_is_sent_to_login_unless_public(client, name, pattern):
    url = sample_url(name, pattern)
    response = client.get(url)
    location = response.get("Location", "")
    if name.startswith("api-v1:") and name not in PUBLIC:
        # The filing API authenticates every call by its bearer token, never by a session:
        # without one, a problem detail (401), or 405 for a path that takes only POST.
        assert response.status_code in {401, 405}, f"{name} answered {response.status_code}"
        return
    if name in PUBLIC:
        assert not (response.status_code == 302 and location.startswith(login_pages())), (
            f"{name} is on the public allow-list but asks for a login"
        )
    else:
        assert response.status_code == 302, f"{name} ({url}) answered {response.status_code}"
        assert location.startswith(login_pages()), f"{name} redirected to {location}"


@pytest.mark.django_db
def test_admin_pages_need_a_staff_login(client):
    for name, pattern, _r in all_patterns():
        if name.startswith("admin:") and name not in {
            "admin:login",
            "admin:logout",
            "admin:jsi18n",
            "admin:view_on_site",
        }:
            try:
                url = sample_url(name, pattern)
            except Exception:  # noqa: S112 - admin patterns that need an object id of a real type
                continue
            response = client.get(url)
            assert response.status_code in {302, 404}, (name, response.status_code)
            if response.status_code == 302:
                assert "login" in response["Location"], (name, response["Location"])


def test_the_officer_sign_in_is_mounted_once():
    mounts = [route for name, _p, route in all_patterns() if name == "accounts:officer-login"]
    assert mounts == ["accounts/officer/login/"]
    names = {n for n, _p, _r in all_patterns() if n and n.endswith("officer-login")}
    assert names == {"accounts:officer-login"}
