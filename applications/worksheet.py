"""The cost-sheet worksheet: whether an item's origin criterion holds, worked out from its bill
of materials and costs by its agreement's rule (reference/origin_rules.py).

Regional value content, as the AIFTA Rules (rule 5) and the India-Korea Rules word it:
  direct (build-down):  RVC = (FOB - VNM) / FOB x 100
  indirect (build-up):  RVC = (VOM + direct labour + direct overhead + profit + other) / FOB x 100
where VNM is the value of the non-originating materials and VOM that of the originating ones.
A change of tariff classification (CC, CTH, CTSH) holds when every non-originating material is
classified in another chapter, heading or subheading than the product; where the agreement
allows de minimis, materials that fail it are tolerated up to that share of the FOB value.

Pure functions on plain values: the models and pages call `evaluate` and `contradiction`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from reference.origin_rules import OriginRule, rule_for

from .models import LineItem

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Material:
    description: str
    hs_code: str
    origin_country: str
    value: Decimal
    originating: bool
    evidence: str = ""  # the document that proves it, in words


@dataclass(frozen=True)
class Costs:
    fob: Decimal
    ex_works: Decimal | None = None
    labour: Decimal = Decimal(0)
    overhead: Decimal = Decimal(0)
    profit: Decimal = Decimal(0)
    other: Decimal = Decimal(0)
    method: str = "direct"  # "direct" or "indirect"


@dataclass(frozen=True)
class Outcome:
    rule: OriginRule
    vnm: Decimal
    vom: Decimal
    rvc: Decimal  # by the method chosen, two decimals
    rvc_met: bool | None  # None: the rule asks for no value content
    ctc_met: bool | None  # None: the rule asks for no change of classification
    breaking: tuple[Material, ...]  # non-originating materials that fail the change
    de_minimis_applied: bool
    qualifies: bool
    criterion: str  # box 8 with the actual percentage: "RVC 79.73% + CTSH"
    steps: tuple[str, ...] = field(default=())  # the computation, in words


def _pct(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _pct_text(value: Decimal) -> str:
    return f"{_pct(value):f}"


def evaluate(
    *, rule: OriginRule, product_hs: str, costs: Costs, materials: list[Material]
) -> Outcome:
    """The worksheet's answer for a product of `product_hs` under `rule`."""
    if costs.fob <= 0:
        raise ValueError("The FOB value must be positive.")
    vnm = sum((m.value for m in materials if not m.originating), Decimal(0))
    vom = sum((m.value for m in materials if m.originating), Decimal(0))
    steps = [
        f"Value of non-originating materials (VNM): {vnm:,.2f}; "
        f"of originating materials (VOM): {vom:,.2f}; FOB: {costs.fob:,.2f}."
    ]
    if costs.method == "indirect":
        built = vom + costs.labour + costs.overhead + costs.profit + costs.other
        rvc = _pct(built / costs.fob * HUNDRED)
        steps.append(
            f"RVC (indirect) = (VOM {vom:,.2f} + labour {costs.labour:,.2f} + overhead "
            f"{costs.overhead:,.2f} + profit {costs.profit:,.2f} + other {costs.other:,.2f}) "
            f"/ FOB {costs.fob:,.2f} x 100 = {rvc}%."
        )
    else:
        rvc = _pct((costs.fob - vnm) / costs.fob * HUNDRED)
        steps.append(
            f"RVC (direct) = (FOB {costs.fob:,.2f} - VNM {vnm:,.2f}) / FOB {costs.fob:,.2f} "
            f"x 100 = {rvc}%."
        )
    rvc_met = None if rule.rvc is None else rvc >= rule.rvc
    if rule.rvc is not None:
        steps.append(
            f"At least {_pct_text(rule.rvc)}% is required: {'met' if rvc_met else 'not met'}."
        )

    ctc_met: bool | None = None
    breaking: tuple[Material, ...] = ()
    de_minimis = False
    if rule.ctc:
        digits = rule.ctc_digits
        breaking = tuple(
            m
            for m in materials
            if not m.originating and (not m.hs_code or m.hs_code[:digits] == product_hs[:digits])
        )
        ctc_met = not breaking
        level = {2: "chapter", 4: "heading", 6: "subheading"}[digits]
        if breaking:
            names = ", ".join(f"{m.description} (HS {m.hs_code or 'not given'})" for m in breaking)
            steps.append(
                f"{rule.ctc}: non-originating {names} in the same {level} as the product "
                f"({product_hs[:digits]}): no change."
            )
            if rule.de_minimis_percent is not None:
                share = sum((m.value for m in breaking), Decimal(0)) / costs.fob * HUNDRED
                de_minimis = share <= rule.de_minimis_percent
                ctc_met = de_minimis
                steps.append(
                    f"De minimis: those materials are {_pct_text(share)}% of FOB, "
                    f"{'within' if de_minimis else 'above'} the "
                    f"{_pct_text(rule.de_minimis_percent)}% allowed."
                )
        else:
            steps.append(
                f"{rule.ctc}: every non-originating material is in another {level} than the "
                f"product ({product_hs[:digits]}): met."
            )

    results = [r for r in (rvc_met, ctc_met) if r is not None]
    qualifies = all(results) if rule.combine == "and" else any(results)
    criterion = rule.criterion.format(rvc=_pct_text(rvc), ctc=rule.ctc).strip(" +")
    steps.append(f"Under the {rule.source}: {'qualifies' if qualifies else 'does not qualify'}.")
    return Outcome(
        rule=rule,
        vnm=vnm,
        vom=vom,
        rvc=rvc,
        rvc_met=rvc_met,
        ctc_met=ctc_met,
        breaking=breaking,
        de_minimis_applied=de_minimis and bool(breaking),
        qualifies=qualifies,
        criterion=criterion,
        steps=tuple(steps),
    )


def contradiction(*, typed: str, percentage: Decimal | None, outcome: Outcome) -> str:
    """Why the typed criterion (and percentage) is not what the worksheet shows; "" when the
    worksheet supports it."""
    code = typed.upper().replace(" ", "")
    if not code:
        return ""
    if code == "WO":
        if outcome.vnm:
            return (
                f"WO (wholly obtained) cannot hold: the cost sheet lists non-originating "
                f"materials worth {outcome.vnm:,.2f}."
            )
        return ""
    reasons = []
    if "RVC" in code:
        if outcome.rvc_met is False:
            reasons.append(
                f"the regional value content is {outcome.rvc}%, below the "
                f"{_pct_text(outcome.rule.rvc or Decimal(0))}% required"
            )
        if percentage is not None and _pct(percentage) != outcome.rvc:
            reasons.append(f"the cost sheet works out {outcome.rvc}%, not {_pct_text(percentage)}%")
    for level in ("CTSH", "CTH", "CC"):
        if level in code.replace("RVC", ""):
            if outcome.rule.ctc == level and outcome.ctc_met is False:
                names = ", ".join(m.description for m in outcome.breaking)
                verb = "does" if len(outcome.breaking) == 1 else "do"
                reasons.append(f"{names} {verb} not change {level}")
            break
    if code == "PSR" and not outcome.qualifies:
        reasons.append(f"the {outcome.rule.source.split(' (')[0]} is not met")
    if not reasons:
        return ""
    return f"The cost sheet does not support {typed}: " + "; ".join(reasons) + "."


# ---------------------------------------------------------------------------------------------
# An item's worksheet, from its cost sheet
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemWorksheet:
    """What the cost sheet says of an item's typed criterion: `outcome` None when there is no
    cost sheet or no rule loaded for the agreement (`note` says which)."""

    outcome: Outcome | None
    problem: str  # the contradiction; "" when none is found
    note: str  # why nothing was worked out, when nothing was

    @property
    def supported(self) -> bool:
        return self.outcome is not None and not self.problem


def item_worksheet(item: LineItem, agreement_code: str) -> ItemWorksheet:
    """The worksheet of a preferential item (reads item.cost_sheet and its materials: prefetch
    them for a list)."""
    rule = rule_for(agreement_code, item.hs_code)
    sheet = getattr(item, "cost_sheet", None) if item.pk else None
    if sheet is None:
        return ItemWorksheet(None, "", "No cost sheet: the criterion is not worked out.")
    if rule is None:
        return ItemWorksheet(
            None, "", f"No rules of origin are loaded for {agreement_code}: not worked out."
        )
    materials = [
        Material(
            description=m.description,
            hs_code=m.hs_code,
            origin_country=str(m.origin_country),
            value=m.value,
            originating=m.originating,
            evidence=m.evidence.original_name if m.evidence else "",
        )
        for m in sheet.materials.all()
    ]
    costs = Costs(
        fob=item.fob_value,
        ex_works=sheet.ex_works_value,
        labour=sheet.labour,
        overhead=sheet.overhead,
        profit=sheet.profit,
        other=sheet.other_costs,
        method=sheet.method,
    )
    outcome = evaluate(rule=rule, product_hs=item.hs_code, costs=costs, materials=materials)
    problem = contradiction(
        typed=item.origin_criterion, percentage=item.criterion_percentage, outcome=outcome
    )
    return ItemWorksheet(outcome, problem, "")
