"""Each agreement's certificate form as data: its boxes (number, verbatim title, what it holds,
where it sits), its origin criteria, the HS digits it expects and its rule for certificates
issued retroactively (its validity: reference/validity.py).

The renderer (certificates/pdf/) draws a form from its definition; the application forms,
the reference data (seed_reference) and the cost-sheet worksheet read the criteria and the
rules from here. Where a definition was not taken from the official text, `provisional` says
why (docs/certificate-forms.md lists them).

A header box's `slot` names a place on page 1 (see certificates/pdf/layout.py, SLOTS): L1, L2, L3
and L4 are the left column's rows from the top, R3 and R4 the right column's (under the title
block), C2 the right column's foot above R3 (the non-preferential form's country of origin),
W3 a row across the whole width. Table columns carry their width in points (None: the rest).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    number: str
    title: str  # verbatim from the form
    content: str  # what the box holds (a key the renderer knows)
    slot: str = ""  # header boxes: where on page 1
    width: float | None = None  # table columns: points (None takes what is left)


@dataclass(frozen=True)
class RetroactiveRule:
    """When a certificate counts as issued retroactively, how long after shipment it may still
    be issued, and what it then says where."""

    after_days: int  # issued more than this many days after shipment: retroactive
    within_days: int  # no later than this many days after shipment
    marking: str  # the words printed
    box: str  # the box that carries them ("" : beside the certificate number)


@dataclass(frozen=True)
class FormDefinition:
    key: str  # the agreement's code, or "non_preferential"
    source: str  # the text the layout was taken from
    heading: tuple[str, ...]  # printed above the title
    header: tuple[Box, ...]
    columns: tuple[Box, ...]
    declaration: Box
    certification: Box
    criteria: tuple[str, ...] = ()  # the codes an item may print
    hs_digits: int = 6  # the digits the form's HS column expects
    retroactive: RetroactiveRule | None = None
    extra: tuple[Box, ...] = ()  # boxes printed in the strip under the declaration
    band: Box | None = None  # a box between the goods and the declaration (remarks)
    notes_title: str = ""
    notes: tuple[str, ...] = ()
    # The declaration's words: the agreement as the form names it ("" : its name), or the
    # whole sentence where the form words it otherwise ({country}: the importing country).
    agreement_phrase: str = ""
    declaration_wording: str = ""
    combined: bool = True  # "(Combined Declaration and Certificate)" under the heading
    provisional: str = ""  # why the layout is not the official one, where it is not

    @property
    def boxes(self) -> tuple[Box, ...]:
        """Every box, in the order of their numbers (as a reader takes them)."""
        every = (
            *self.header,
            *self.columns,
            *((self.band,) if self.band else ()),
            self.declaration,
            self.certification,
            *self.extra,
        )
        numbered = [b for b in every if b.number]
        return tuple(sorted(numbered, key=lambda b: int(b.number)))


# ---------------------------------------------------------------------------------------------
# Form AI (AIFTA): boxes 1-12 as DGFT's issuing agencies print them
# ---------------------------------------------------------------------------------------------

AIFTA_NOTES = (
    "<b>1.</b> Parties which accept this form for the purpose of preferential treatment under "
    "the ASEAN-India Free Trade Area (AIFTA): Brunei Darussalam, Cambodia, India, Indonesia, "
    "Lao PDR, Malaysia, Myanmar, Philippines, Singapore, Thailand, Viet Nam.",
    "<b>2. CONDITIONS:</b> The main conditions for admission to the preferential treatment "
    "under the AIFTA are that goods sent to any Party listed above: (i) must fall within a "
    "description of products eligible for concessions in the country of destination; (ii) must "
    "comply with the consignment conditions that the goods must be consigned directly from any "
    "AIFTA Party to the importing Party, though transport through one or more intermediate "
    "non-Parties is accepted provided that any intermediate transit, transshipment or temporary "
    "storage arises only for geographic reasons or transportation requirements; (iii) must "
    "comply with the origin criteria given in the next paragraph.",
    "<b>3. ORIGIN CRITERIA:</b> For exports to the above-mentioned Parties to be eligible for "
    "preferential treatment, the products must be either wholly obtained or produced in the "
    'exporting Party (enter "WO" in Box 8), or not wholly obtained but with a regional value '
    "content of not less than 35 per cent of the FOB value and a change in tariff sub-heading "
    "at the six-digit level of the Harmonized System, the final process of manufacture being "
    "performed within the exporting Party: enter in Box 8 the actual percentage of the "
    'regional value content and "CTSH", for example "RVC 40% + CTSH".',
    "<b>4. EACH ARTICLE MUST QUALIFY:</b> Each article in a consignment must qualify "
    "separately in its own right. This is of particular importance when similar articles of "
    "different sizes or spare parts are sent.",
    "<b>5. DESCRIPTION OF PRODUCTS:</b> The description of products must be sufficiently "
    "detailed to enable the products to be identified by the customs officers examining them. "
    "The name of the manufacturer and any trade mark shall also be specified.",
    "<b>6.</b> The Harmonised System number shall be that of the importing Party.",
    '<b>7.</b> The term "Exporter" in Box 11 may include the manufacturer or the producer. In '
    'the case of a Movement Certificate the term "Exporter" also includes the exporter in the '
    "intermediate Party.",
    "<b>8. FOR OFFICIAL USE:</b> The customs officer of the importing Party must indicate "
    "in the relevant boxes in Box 4 whether or not preferential treatment is accorded.",
    "<b>9. THIRD PARTY INVOICING:</b> Where invoices are issued by a company in a third "
    "country, the name and country of the company issuing the invoice are given in Box 7 and "
    "the number and date of its invoice in Box 10.",
    "<b>10. ISSUED RETROACTIVELY:</b> In exceptional cases, due to involuntary errors or "
    "omissions or other valid causes, the certificate may be issued retroactively, no later "
    'than one year from the date of shipment, bearing the words "ISSUED RETROACTIVELY".',
    "<b>ELECTRONIC ORIGINAL:</b> This certificate was issued and signed electronically "
    "(PAdES). The PDF file is the original; check it, or a print of it, at the address printed "
    "at the foot of each page or by scanning its QR code.",
)

AIFTA = FormDefinition(
    key="AIFTA",
    source=(
        "Form AI of the Customs Tariff (Determination of Origin of Goods under the Preferential "
        "Trade Agreement between the Governments of Member States of the ASEAN and the Republic "
        "of India) Rules, 2009, as DGFT's issuing agencies print it (EIC, 2020-2023)"
    ),
    heading=("ASEAN-INDIA FREE TRADE AREA", "PREFERENTIAL TARIFF CERTIFICATE OF ORIGIN"),
    header=(
        Box(
            "1",
            "Goods consigned from (Exporter's business name, address, country)",
            "exporter",
            "L1",
        ),
        Box("2", "Goods consigned to (Consignee's name, address, country)", "consignee", "L2"),
        Box("3", "Means of transport and route (as far as known)", "transport", "L3"),
        Box("4", "For Official Use", "official_use_aifta", "R3"),
    ),
    columns=(
        Box("5", "Item number", "item_number", width=34),
        Box("6", "Marks and numbers on packages", "marks", width=70),
        Box(
            "7",
            "Number and type of packages, description of goods (including quantity where "
            "appropriate and HS number of the importing country)",
            "goods_aifta",
        ),
        Box("8", "Origin criterion (see Notes overleaf)", "criterion", width=60),
        Box("9", "Gross weight or other quantity and value (FOB)", "weight_value", width=84),
        Box("10", "Number and date of invoices", "invoices_third_party", width=80),
    ),
    declaration=Box("11", "Declaration by the exporter", "declaration"),
    certification=Box("12", "Certification", "certification"),
    criteria=("WO", "RVC", "CTSH", "RVC+CTSH"),
    hs_digits=6,
    retroactive=RetroactiveRule(
        after_days=3, within_days=365, marking="ISSUED RETROACTIVELY", box=""
    ),
    notes_title="Form AI: notes overleaf",
    notes=AIFTA_NOTES,
    agreement_phrase="ASEAN-INDIA Free Trade Area Preferential Tariff",
)

# ---------------------------------------------------------------------------------------------
# India-Korea CEPA: Annexure-V of the 2009 Rules (its own numbering)
# ---------------------------------------------------------------------------------------------

IKCEPA = FormDefinition(
    key="IKCEPA",
    source=(
        "Annexure-V (rule 15) of the Customs Tariff (Determination of Origin of Goods under the "
        "Preferential Trade Agreement between the Governments of the Republic of India and the "
        "Republic of Korea) Rules, 2009 (Notification 187/2009-Customs (N.T.))"
    ),
    heading=(
        "INDIA-KOREA COMPREHENSIVE ECONOMIC PARTNERSHIP AGREEMENT",
        "PREFERENTIAL CERTIFICATE OF ORIGIN",
    ),
    header=(
        Box(
            "1",
            "Exporter (name, address, country, e-mail address, telephone number, fax number)",
            "exporter_contact",
            "L1",
        ),
        Box("2", "Producer (name, address, country) (optional)", "producer", "L2"),
        Box("3", "Importer (name, address, country) (optional)", "consignee", "L3"),
        Box("4", "Means of transport and route (optional)", "transport", "L4"),
        Box("5", "For Official Use", "official_use", "R3"),
        Box("6", "Remarks", "remarks", "R4"),
    ),
    columns=(
        Box("7", "HS Code (6 digit)", "hs6", width=56),
        Box("8", "Description of goods, including quantity", "goods_quantity"),
        Box("9", "Gross weight and value (FOB)", "weight_value", width=90),
        Box("10", "Origin criterion", "criterion", width=70),
        Box("11", "Number and date of Invoices", "invoices", width=84),
    ),
    declaration=Box("12", "Declaration by the exporter", "declaration"),
    certification=Box("13", "Certification", "certification"),
    extra=(Box("14", "Third country invoicing (name, address, country)", "third_party"),),
    criteria=("WO", "CTSH+RVC", "PSR"),
    agreement_phrase="INDIA-KOREA Comprehensive Economic Partnership Agreement",
    hs_digits=6,
    retroactive=RetroactiveRule(
        after_days=3, within_days=365, marking="ISSUED RETROACTIVELY", box="6"
    ),
)

# ---------------------------------------------------------------------------------------------
# India-Mauritius CECPA: Annex 5 of the 2021 Rules (ten boxes)
# ---------------------------------------------------------------------------------------------

IMCECPA = FormDefinition(
    key="IMCECPA",
    source=(
        "Annex 5 (rule 13) of the Customs Tariff (Determination of Origin of Goods under the "
        "Comprehensive Economic Cooperation and Partnership Agreement between the Republic of "
        "India and the Republic of Mauritius) Rules, 2021 (Notification 38/2021-Customs (N.T.))"
    ),
    heading=("AGREEMENT BETWEEN INDIA AND MAURITIUS", "CERTIFICATE OF ORIGIN"),
    header=(
        Box("1", "Exporter's Name, Address and Country", "exporter", "L1"),
        Box("2", "Importer's [consignee's] Name, Address and Country", "consignee", "L2"),
        Box("3", "Transport details", "transport", "W3"),
    ),
    columns=(
        Box(
            "4",
            "Item number (as necessary); Marks and numbers; Number and kind of packages; "
            "Description of good(s); HS tariff classification number",
            "goods_all",
        ),
        Box("5", "ORIGIN criterion (see overleaf note)", "criterion", width=70),
        Box("6", "Gross Weight or other Quantity", "weight_quantity", width=90),
        Box("7", "Invoice number(s) and date(s)", "invoices", width=90),
    ),
    band=Box("8", "Remarks:", "remarks_retrospective"),
    declaration=Box("9", "Declaration by the exporter:", "declaration"),
    certification=Box("10", "Certification", "certification"),
    criteria=("WO", "PSR"),
    hs_digits=6,
    retroactive=RetroactiveRule(
        after_days=3, within_days=365, marking="ISSUED RETROSPECTIVELY", box="8"
    ),
    combined=False,
    declaration_wording=(
        "I, the undersigned, declare that: - the above details and statement are true and "
        "accurate; - the good(s) described above meet the condition(s) required for the "
        "issuance of this certificate; - the country of origin of the good(s) described above "
        "is <b>INDIA</b>."
    ),
    notes_title="Overleaf Notes",
    notes=(
        "<b>1.</b> The following origin criteria code should be inserted in Box 5: "
        "(i) WO for Wholly Obtained; (ii) PSR for Product Specific Rules.",
        "<b>ELECTRONIC ORIGINAL:</b> This certificate was issued and signed electronically "
        "(PAdES). The PDF file is the original; check it, or a print of it, at the address "
        "printed at the foot of each page or by scanning its QR code.",
    ),
)

# ---------------------------------------------------------------------------------------------
# The other agreements: the common preferential layout (provisional) with their own rules
# ---------------------------------------------------------------------------------------------

_GENERIC_PROVISIONAL = (
    "the agreement's certificate annex was not at hand while this layout was made: the portal "
    "prints the common preferential layout (boxes 1-12) until its own form is transcribed"
)


# The goods boxes (5-10) of the common preferential layout, which the self-declaration repeats.
_COMMON_COLUMNS = (
    Box("5", "Item number", "item_number", width=34),
    Box("6", "Marks and numbers of packages", "marks", width=70),
    Box("7", "Number and kind of packages; description of goods", "goods"),
    Box("8", "Origin criterion", "criterion", width=60),
    Box("9", "Gross weight or other quantity and value (FOB)", "weight_value", width=84),
    Box("10", "Number and date of invoices", "invoices", width=80),
)


def _generic(
    key: str,
    criteria: tuple[str, ...],
    *,
    hs_digits: int = 6,
) -> FormDefinition:
    return FormDefinition(
        key=key,
        source="(common preferential layout)",
        heading=("PREFERENTIAL CERTIFICATE OF ORIGIN",),
        header=(
            Box(
                "1",
                "Goods consigned from (exporter's business name, address, country)",
                "exporter",
                "L1",
            ),
            Box("2", "Goods consigned to (consignee's name, address, country)", "consignee", "L2"),
            Box("3", "Means of transport and route (as far as known)", "transport", "L3"),
            Box("4", "For official use", "official_use", "R3"),
        ),
        columns=_COMMON_COLUMNS,
        declaration=Box("11", "Declaration by the exporter", "declaration"),
        certification=Box("12", "Certification", "certification"),
        criteria=criteria,
        hs_digits=hs_digits,
        retroactive=RetroactiveRule(
            after_days=3, within_days=365, marking="ISSUED RETROACTIVELY", box=""
        ),
        provisional=_GENERIC_PROVISIONAL,
    )


# ---------------------------------------------------------------------------------------------
# India-EFTA TEPA: the exporter's self-declared certificate of origin (no agency certifies it)
# ---------------------------------------------------------------------------------------------

SELF_DECLARATION_KEY = "IETEPA-SD"

# The formula EFTA's free trade agreements use for the exporter's origin declaration, with
# India and this agreement named: TEPA's own annex was not at hand as text (see provisional).
SELF_DECLARATION_STATEMENT = (
    "The exporter of the products covered by this document declares that, except where "
    "otherwise clearly indicated, these products are of <b>INDIA</b> preferential origin "
    "under the Trade and Economic Partnership Agreement between India and the EFTA States."
)

IETEPA_SELF_DECLARATION = FormDefinition(
    key=SELF_DECLARATION_KEY,
    source=(
        "the India-EFTA Rules, 2025 (Notification 59/2025-Customs (N.T.)): a self-declared "
        "certificate of origin is a proof of origin for exports from India"
    ),
    heading=("INDIA-EFTA TRADE AND ECONOMIC PARTNERSHIP AGREEMENT",),
    header=(
        Box("1", "Exporter (name, address, country, IEC)", "exporter", "L1"),
        Box("2", "Consignee (name, address, country)", "consignee", "L2"),
        Box("3", "Means of transport and route (as far as known)", "transport", "L3"),
        Box("4", "Remarks", "remarks", "R3"),
    ),
    columns=_COMMON_COLUMNS,
    declaration=Box("11", "Statement on origin by the exporter", "declaration"),
    certification=Box("12", "Not certified by any agency", "certification"),
    criteria=("WO", "CTSH", "RVC", "PSR"),
    hs_digits=6,
    combined=False,
    declaration_wording=SELF_DECLARATION_STATEMENT,
    provisional=(
        "the format of TEPA's self-declared certificate of origin and its statement's wording "
        "were not at hand as text: the boxes follow the common preferential layout and the "
        "statement is the origin-declaration formula of EFTA's free trade agreements"
    ),
)

NON_PREFERENTIAL = FormDefinition(
    key="non_preferential",
    source="the chamber / ICC model of the non-preferential certificate",
    heading=(),
    header=(
        Box("1", "Consignor (exporter's name, address, IEC)", "exporter", "L1"),
        Box("2", "Consignee (name, address, country)", "consignee", "L2"),
        Box("3", "Country of origin", "country_of_origin", "C2"),
        Box("4", "Transport details", "transport", "L3"),
        Box("5", "Remarks", "remarks_invoices", "R3"),
    ),
    columns=(
        Box("6", "Item number", "item_number", width=34),
        Box("", "Marks and numbers", "marks", width=80),
        Box("", "Number and kind of packages; description of goods", "goods"),
        Box("7", "Quantity", "weight_quantity", width=96),
    ),
    declaration=Box("8", "Declaration by the exporter", "declaration"),
    certification=Box("9", "Certification", "certification"),
    criteria=(),
    hs_digits=6,
)

FORMS: dict[str, FormDefinition] = {
    form.key: form
    for form in (
        AIFTA,
        IKCEPA,
        IMCECPA,
        _generic("SAFTA", ("WO", "CTH+RVC", "PSR", "CUM")),
        _generic("APTA", ("WO", "RVC", "PSR", "CUM")),
        _generic("ISFTA", ("WO", "CTH+RVC")),
        _generic("IJCEPA", ("WO", "PE", "RVC", "CTSH+RVC", "PSR")),
        _generic("IMCECA", ("WO", "RVC+CTSH", "PSR")),
        _generic("ISCECA", ("WO", "RVC+CTH", "PSR")),
        _generic("IUAECEPA", ("WO", "PSR")),
        _generic("IAECTA", ("WO", "PSR")),
        _generic("IETEPA", ("WO", "CTSH", "RVC", "PSR")),
        NON_PREFERENTIAL,
    )
}


# Forms that are not an agreement's certificate (FORMS is one per agreement: validity, criteria
# and the seeded vocabulary are read from it): drawn when CertificateData.form_key names them.
OTHER_FORMS: dict[str, FormDefinition] = {SELF_DECLARATION_KEY: IETEPA_SELF_DECLARATION}


@functools.cache
def form_for(agreement_code: str) -> FormDefinition:
    """The form of an agreement (the non-preferential form for "" or an unknown code is never
    silently preferential: an unknown agreement gets the common preferential layout)."""
    if not agreement_code:
        return NON_PREFERENTIAL
    return (
        FORMS.get(agreement_code) or OTHER_FORMS.get(agreement_code) or _generic(agreement_code, ())
    )
