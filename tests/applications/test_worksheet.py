"""The cost-sheet worksheet, with worked examples from the agreements' rules (issue 29,
acceptance 2)."""

from __future__ import annotations

from decimal import Decimal

from applications.worksheet import Costs, Material, contradiction, evaluate
from reference import origin_rules
from reference.origin_rules import OriginRule, rule_for

D = Decimal


def yarn(hs: str = "520512", value: str = "2000", originating: bool = False) -> Material:
    return Material("Cotton yarn", hs, "VN" if not originating else "IN", D(value), originating)


def test_aifta_direct_method_gives_the_actual_percentage_with_ctsh() -> None:
    """A T-shirt (6109.10) with USD 2,027 of imported yarn in a USD 10,000 FOB:
    RVC = (10,000 - 2,027) / 10,000 x 100 = 79.73% >= 35%, and yarn (5205) changes subheading."""
    rule = rule_for("AIFTA", "61091000")
    assert rule is not None
    outcome = evaluate(
        rule=rule,
        product_hs="61091000",
        costs=Costs(fob=D("10000")),
        materials=[yarn(value="2027"), Material("Dye", "320416", "IN", D("500"), True)],
    )

    assert outcome.rvc == D("79.73")
    assert outcome.rvc_met is True
    assert outcome.ctc_met is True
    assert outcome.qualifies
    assert outcome.criterion == "RVC 79.73% + CTSH"
    assert "RVC (direct) = (FOB 10,000.00 - VNM 2,027.00) / FOB 10,000.00 x 100 = 79.73%." in (
        outcome.steps
    )


def test_aifta_indirect_method_builds_up_from_originating_costs() -> None:
    rule = rule_for("AIFTA", "61091000")
    assert rule is not None
    costs = Costs(
        fob=D("10000"),
        labour=D("1500"),
        overhead=D("800"),
        profit=D("700"),
        other=D("200"),
        method="indirect",
    )
    materials = [yarn(value="6000"), Material("Fabric", "600622", "IN", D("300"), True)]

    outcome = evaluate(rule=rule, product_hs="61091000", costs=costs, materials=materials)

    # (300 + 1,500 + 800 + 700 + 200) / 10,000 x 100 = 35.00%: just enough.
    assert outcome.rvc == D("35.00")
    assert outcome.rvc_met is True
    assert outcome.qualifies


def test_a_material_of_the_same_subheading_breaks_ctsh() -> None:
    rule = rule_for("AIFTA", "61091000")
    assert rule is not None
    blanks = Material("T-shirt blanks", "610910", "CN", D("1000"), False)

    outcome = evaluate(
        rule=rule, product_hs="61091000", costs=Costs(fob=D("10000")), materials=[blanks]
    )

    assert outcome.rvc == D("90.00")
    assert outcome.ctc_met is False
    assert outcome.breaking == (blanks,)
    assert not outcome.qualifies  # AIFTA asks for both
    message = contradiction(typed="RVC+CTSH", percentage=None, outcome=outcome)
    assert (
        message == "The cost sheet does not support RVC+CTSH: T-shirt blanks does not change CTSH."
    )


def test_de_minimis_tolerates_a_small_share_where_the_agreement_allows_it() -> None:
    """India-Korea allows non-originating materials that fail the change up to 10% of FOB."""
    rule = rule_for("IKCEPA", "61091000")
    assert rule is not None
    small = Material("Labels", "610910", "CN", D("900"), False)
    large = Material("Labels", "610910", "CN", D("1100"), False)

    within = evaluate(
        rule=rule, product_hs="61091000", costs=Costs(fob=D("10000")), materials=[small]
    )
    above = evaluate(
        rule=rule, product_hs="61091000", costs=Costs(fob=D("10000")), materials=[large]
    )

    assert within.ctc_met is True
    assert within.de_minimis_applied
    assert within.criterion == "CTSH + RVC 91.00%"
    assert above.ctc_met is False
    assert "De minimis: those materials are 11.00% of FOB, above the 10.00% allowed." in above.steps


def test_aifta_allows_no_de_minimis() -> None:
    rule = rule_for("AIFTA", "61091000")
    assert rule is not None
    small = Material("Labels", "610910", "CN", D("10"), False)

    outcome = evaluate(
        rule=rule, product_hs="61091000", costs=Costs(fob=D("10000")), materials=[small]
    )

    assert outcome.ctc_met is False
    assert not outcome.de_minimis_applied


def test_a_low_value_content_or_a_wrong_percentage_is_a_contradiction() -> None:
    rule = rule_for("AIFTA", "61091000")
    assert rule is not None
    outcome = evaluate(
        rule=rule,
        product_hs="61091000",
        costs=Costs(fob=D("10000")),
        materials=[yarn(value="7000")],
    )

    assert outcome.rvc == D("30.00")
    assert contradiction(typed="RVC+CTSH", percentage=D("35"), outcome=outcome) == (
        "The cost sheet does not support RVC+CTSH: the regional value content is 30.00%, "
        "below the 35.00% required; the cost sheet works out 30.00%, not 35.00%."
    )
    assert "WO (wholly obtained) cannot hold" in contradiction(
        typed="WO", percentage=None, outcome=outcome
    )


def test_a_supported_criterion_has_no_contradiction() -> None:
    rule = rule_for("AIFTA", "61091000")
    assert rule is not None
    outcome = evaluate(
        rule=rule, product_hs="61091000", costs=Costs(fob=D("10000")), materials=[yarn()]
    )

    assert contradiction(typed="RVC+CTSH", percentage=D("80"), outcome=outcome) == ""
    assert contradiction(typed="RVC+CTSH", percentage=None, outcome=outcome) == ""


def test_product_specific_rules_win_over_the_general_rule(monkeypatch) -> None:
    data = {
        "source": "test rules",
        "general": {"rvc": "35", "ctc": "CTSH", "combine": "and", "criterion": "RVC {rvc}%"},
        "de_minimis_percent": None,
        "product_specific": {"6109": {"ctc": "CC", "criterion": "{ctc}"}},
    }
    monkeypatch.setattr(origin_rules, "_rules_file", lambda code: data)

    specific = rule_for("TEST", "61091000")
    general = rule_for("TEST", "62034200")

    assert specific == OriginRule(
        agreement="TEST",
        rvc=None,
        ctc="CC",
        combine="and",
        criterion="{ctc}",
        de_minimis_percent=None,
        source="product-specific rule for HS 6109 (test rules)",
    )
    assert general is not None
    assert general.ctc == "CTSH"


def test_an_agreement_without_a_rules_file_has_no_rule() -> None:
    assert rule_for("IUAECEPA", "61091000") is None
    assert rule_for("../AIFTA", "61091000") is None
