"""Acceptance 2: a wrong number, a wrong code and both wrong are one and the same answer."""

from __future__ import annotations

import re

import pytest

from tests.verification.helpers import look_up

pytestmark = pytest.mark.django_db

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"
WRONG_NUMBER, WRONG_CODE = "EIC/2026/MUM/0000124", "K7PX2M9QRT4X"
TOKENS = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]+"')


def answer(client, channel: str, number: str, code: str) -> tuple[int, str, bytes]:
    response = look_up(client, channel, number, code)
    return response.status_code, response["Content-Type"], TOKENS.sub(rb"\1TOKEN", response.content)


@pytest.mark.parametrize("channel", ["page", "qr", "api"])
def test_wrong_number_wrong_code_and_both_wrong_are_byte_identical(client, certificate, channel):
    wrong_number = answer(client, channel, WRONG_NUMBER, CODE)
    wrong_code = answer(client, channel, NUMBER, WRONG_CODE)
    both_wrong = answer(client, channel, WRONG_NUMBER, WRONG_CODE)
    assert wrong_number == wrong_code == both_wrong
    assert wrong_number[0] == 404
    assert b"No certificate matches this number and code" in wrong_number[2]


def test_the_miss_repeats_neither_number_nor_code(client, certificate):
    _status, _type, body = answer(client, "page", NUMBER, WRONG_CODE)
    assert b'value="' + NUMBER.encode() not in body
    assert WRONG_CODE.encode() not in body


def test_the_api_miss_is_a_generic_json_404(client, certificate):
    response = look_up(client, "api", NUMBER, WRONG_CODE)
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "detail": "No certificate matches this number and code.",
    }


def test_a_missing_code_is_a_miss_too(client, certificate):
    response = client.get(f"/api/v1/certificates/{NUMBER}")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
