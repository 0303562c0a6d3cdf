"""Acceptance 6: the page and the API cost a fixed, small number of queries.

One for the certificate with its agency, office, agreement, exporter and replacement, one for
its goods, one for its invoices (box 10, which a verifier compares with the paper), one to log
the lookup: four, however many goods and whatever the status.
"""

from __future__ import annotations

import pytest

from tests.verification.factories import CertificateFactory, LineItemFactory
from tests.verification.helpers import look_up, supersede

pytestmark = pytest.mark.django_db

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"
FOUND, MISSED = 4, 2  # a miss never reads the goods


@pytest.mark.parametrize("channel", ["page", "qr", "api"])
def test_a_lookup_costs_four_queries(client, certificate, channel, django_assert_num_queries):
    with django_assert_num_queries(FOUND):
        response = look_up(client, channel, NUMBER, CODE)
    assert response.status_code == 200


@pytest.mark.parametrize("channel", ["page", "qr", "api"])
def test_forty_goods_and_a_replacement_cost_no_more(
    client, certificate, channel, django_assert_num_queries
):
    for position in range(4, 41):
        LineItemFactory(application=certificate.application, position=position)
    replacement = CertificateFactory(application__office=certificate.office, sequence=124)
    supersede(certificate, by=replacement)
    with django_assert_num_queries(FOUND):
        response = look_up(client, channel, NUMBER, CODE)
    assert b"SUPERSEDED" in response.content or b"superseded" in response.content
    assert response.content.count(b"Cotton knitted T-shirts") >= 38


@pytest.mark.parametrize("channel", ["page", "qr", "api"])
def test_a_wrong_number_and_a_wrong_code_cost_the_same(
    client, certificate, channel, django_assert_num_queries
):
    with django_assert_num_queries(MISSED):
        look_up(client, channel, "EIC/2026/MUM/0009999", CODE)
    with django_assert_num_queries(MISSED):
        look_up(client, channel, NUMBER, "WRONGCODE")
