"""The officer sees each item's cost sheet on the review page: the bill of materials with its
evidence, the rule applied and the computation, and a flag where it does not support the
criterion (issue 29, item 4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import CostSheet
from tests import factories

from .test_query_counts import count_queries

pytestmark = pytest.mark.django_db


def with_cost_sheets(application, *, hs: str = "520512") -> None:
    evidence = application.documents.first()
    for item in application.items.all():
        item.origin_criterion = "RVC+CTSH"
        item.save()
        sheet = CostSheet.objects.create(item=item)
        sheet.materials.create(
            position=1,
            description="Combed cotton yarn",
            hs_code=hs,
            origin_country="VN",
            value=Decimal("500.00"),
            originating=False,
            evidence=evidence,
        )


@pytest.fixture
def preferential(make_application):
    def make(**kwargs):
        return make_application(
            certificate_type="preferential",
            agreement=factories.TradeAgreementFactory(),
            destination_country="ID",
            **kwargs,
        )

    return make


def test_the_review_page_shows_the_worksheet_rule_and_evidence(
    preferential, olivia, officer_client
) -> None:
    application = preferential()
    with_cost_sheets(application)
    evidence = application.documents.first()

    page = officer_client(olivia).get(reverse("officer:review", args=[application.reference]))

    text = page.content.decode()
    assert "Cost sheet of item 1" in text
    assert "Rule applied: general rule (Customs Tariff (Determination of Origin of Goods" in text
    assert "Combed cotton yarn" in text
    assert f'<a href="#doc-{evidence.pk}">{evidence.original_name}</a>' in text
    # The item's FOB is USD 4,800: (4,800 - 500) / 4,800 x 100 = 89.58%.
    assert "RVC (direct) = (FOB 4,800.00 - VNM 500.00) / FOB 4,800.00 x 100 = 89.58%." in text
    assert "Worked out: RVC 89.58% + CTSH." in text


def test_a_criterion_the_cost_sheet_contradicts_is_flagged_to_the_officer(
    preferential, olivia, officer_client
) -> None:
    application = preferential()
    with_cost_sheets(application, hs="610910")

    page = officer_client(olivia).get(reverse("officer:review", args=[application.reference]))

    text = page.content.decode()
    flag = "The cost sheet does not support RVC+CTSH: Combed cotton yarn does not change CTSH."
    assert flag in text
    assert text.index("Item 1: ") < text.index(flag)


def test_cost_sheets_cost_no_query_per_item(preferential, olivia, officer_client) -> None:
    client = officer_client(olivia)
    small = preferential(items=1)
    big = preferential(items=20)
    with_cost_sheets(small)
    with_cost_sheets(big)

    one = count_queries(client, reverse("officer:review", args=[small.reference]))
    twenty = count_queries(client, reverse("officer:review", args=[big.reference]))

    assert one == twenty


def test_a_shipment_older_than_the_retroactive_limit_is_flagged(
    preferential, olivia, officer_client
) -> None:
    shipped_long_ago = timezone.localdate() - dt.timedelta(days=400)
    application = preferential(departure_date=shipped_long_ago)

    page = officer_client(olivia).get(reverse("officer:review", args=[application.reference]))

    assert "Shipped 400 days ago: AIFTA allows a certificate up to 365 days after shipment." in (
        page.content.decode()
    )


def test_a_recent_shipment_says_whether_it_will_be_marked_retroactive(
    preferential, olivia, officer_client
) -> None:
    application = preferential(departure_date=timezone.localdate() - dt.timedelta(days=10))

    page = officer_client(olivia).get(reverse("officer:review", args=[application.reference]))

    assert "Shipped 10 days ago: a certificate issued now is marked ISSUED RETROACTIVELY." in (
        page.content.decode()
    )
