"""A wrong number or code (issue 34): one answer, rendered once per process for visitors
without cookies, with the same bytes as the page rendered per request, and no "Not Found"
warning per miss (the verification log has it)."""

from __future__ import annotations

import logging

import pytest

from tests.verification.helpers import look_up
from verification.models import VerificationLog

pytestmark = pytest.mark.django_db

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"


@pytest.mark.parametrize("channel", ["page", "qr"])
def test_a_wrong_code_gets_the_page_a_visitor_with_cookies_gets(client, certificate, channel):
    fast = look_up(client, channel, NUMBER, "WRONGCODE123")
    client.cookies["seen-before"] = "1"  # the layout rendered for this request
    rendered = look_up(client, channel, NUMBER, "WRONGCODE123")

    assert fast.status_code == rendered.status_code == 404
    assert fast.content == rendered.content
    assert "No certificate matches this number and code" in fast.content.decode()


def test_a_wrong_number_and_a_wrong_code_get_the_same_bytes(client, certificate):
    wrong_code = look_up(client, "qr", NUMBER, "WRONGCODE123")
    wrong_number = look_up(client, "qr", "EIC/2026/MUM/0009999", CODE)

    assert wrong_code.content == wrong_number.content


def test_a_miss_is_logged_once_in_the_verification_log_and_not_as_a_warning(
    client, certificate, caplog
):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        look_up(client, "qr", NUMBER, "WRONGCODE123")

    assert not [r for r in caplog.records if r.name == "django.request"]
    assert VerificationLog.objects.filter(outcome="not_found").count() == 1


def test_a_miss_costs_no_more_queries_than_a_find(
    client, certificate, settings, django_assert_max_num_queries
):
    settings.VERIFY_CACHE_SECONDS = 0  # both read the database
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as found:
        assert look_up(client, "qr", NUMBER, CODE).status_code == 200
    with django_assert_max_num_queries(len(found)):
        assert look_up(client, "qr", NUMBER, "WRONGCODE123").status_code == 404
