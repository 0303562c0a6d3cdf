"""The public answer in Hindi (issue 33): kept answers are English for everyone (the edge
serves them to visitors without cookies); a reader who chose Hindi gets theirs built afresh."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def url(certificate) -> str:
    return f"/verify/{certificate.number}/?code={certificate.verification_code}"


def test_a_reader_who_chose_hindi_gets_the_answer_in_hindi_and_the_kept_one_stays_english(
    certificate,
):
    hindi = Client()
    hindi.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    body = hindi.get(url(certificate)).content.decode()
    assert '<html lang="hi">' in body
    assert "प्रमाणपत्र का विवरण" in body  # "Certificate details"
    assert "Cotton knitted T-shirts for men" in body  # the certificate's own words, as issued
    # Whoever asked first, the answer kept for the others is English.
    for client in (Client(), Client()):
        english = client.get(url(certificate)).content.decode()
        assert '<html lang="en">' in english
        assert "Certificate details" in english
        # Devanagari only in the switcher, which names Hindi in Hindi.
        outside = re.sub(
            r'<(p|form)[^>]*class="[^"]*language-switch.*?</\1>', "", english, flags=re.S
        )
        assert not re.search("[\u0900-\u097f]", outside)
