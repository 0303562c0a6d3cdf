"""A solved CAPTCHA passes once, even when two requests race with it (issue 18, finding 10)."""

from __future__ import annotations

import pytest
from captcha.conf import settings as captcha_settings
from captcha.models import CaptchaStore
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.forms import captcha_field
from tests.concurrency import run_together

from .conftest import login_data

LOGIN = "/accounts/login/"


@pytest.fixture
def real_captcha(monkeypatch) -> CaptchaStore:
    """A challenge as a visitor sees it, with the test mode's 'PASSED' switched off."""
    monkeypatch.setattr(captcha_settings, "CAPTCHA_TEST_MODE", False)
    return CaptchaStore.objects.get(hashkey=CaptchaStore.generate_key())


@pytest.mark.django_db
def test_a_solved_captcha_passes_once(client, alice, real_captcha):
    answer = {"captcha_0": real_captcha.hashkey, "captcha_1": real_captcha.response.upper()}
    first = client.post(LOGIN, login_data("0123456789", "wrong password", **answer))
    assert "The IEC Code, username, email or password is not right." in first.content.decode()
    again = client.post(LOGIN, login_data("0123456789", "wrong password", **answer))
    assert "do not match the image" in again.content.decode()


@pytest.mark.django_db
def test_a_wrong_answer_uses_the_image_up(client, alice, real_captcha):
    client.post(LOGIN, login_data("0123456789", "x", captcha_0=real_captcha.hashkey, captcha_1="?"))
    assert not CaptchaStore.objects.filter(hashkey=real_captcha.hashkey).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_requests_racing_with_one_solved_captcha_pass_once(real_captcha):
    if connection.vendor != "postgresql":
        pytest.skip(f"the race needs PostgreSQL (DATABASE_URL); this run uses {connection.vendor}")

    def solve() -> str:
        try:
            captcha_field().clean([real_captcha.hashkey, real_captcha.response])
        except ValidationError:
            return "refused"
        return "passed"

    outcomes = run_together(10, solve)
    assert sorted(map(str, outcomes)) == ["passed"] + ["refused"] * 9, outcomes
