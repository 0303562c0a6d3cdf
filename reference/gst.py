"""GST facts every document needs: the state codes of the GST system (the first two digits of a
GSTIN, and the code printed beside a state's name on an invoice) and the GSTIN's check
character (the 15th), computed as the GSTN specifies (a Luhn mod 36 over the first 14)."""

from __future__ import annotations

import re

# GST state and union-territory codes (GSTN's list, as printed on e-invoices).
STATES: dict[str, str] = {
    "01": "Jammu and Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "11": "Sikkim",
    "12": "Arunachal Pradesh",
    "13": "Nagaland",
    "14": "Manipur",
    "15": "Mizoram",
    "16": "Tripura",
    "17": "Meghalaya",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "26": "Dadra and Nagar Haveli and Daman and Diu",
    "27": "Maharashtra",
    "29": "Karnataka",
    "30": "Goa",
    "31": "Lakshadweep",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "34": "Puducherry",
    "35": "Andaman and Nicobar Islands",
    "36": "Telangana",
    "37": "Andhra Pradesh",
    "38": "Ladakh",
    "97": "Other Territory",
}
STATE_CHOICES = sorted(((code, f"{code} {name}") for code, name in STATES.items()))

_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
GSTIN_SHAPE = re.compile(r"^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")


def gstin_check_character(first14: str) -> str:
    """The 15th character of a GSTIN whose first 14 are given."""
    total = 0
    for position, char in enumerate(first14.upper()):
        product = _CHARS.index(char) * (2 if position % 2 else 1)
        total += product // 36 + product % 36
    return _CHARS[(36 - total % 36) % 36]


def gstin_problem(value: str) -> str | None:
    """Why `value` is not a GSTIN (shape, state code, check character), or None."""
    if not GSTIN_SHAPE.match(value):
        return (
            "Enter a GSTIN of 15 characters: 2 digits of the state, the 10 of the PAN, then 3 "
            "more (for example 27AAACE1234F1Z6)."
        )
    if value[:2] not in STATES:
        return f"A GSTIN starts with a GST state code; {value[:2]} is none."
    if gstin_check_character(value[:14]) != value[14]:
        return "This GSTIN's last character does not match the rest: check it for a typing error."
    return None


def state_label(code: str) -> str:
    """'Maharashtra (27)': a state as an invoice prints it."""
    name = STATES.get(code)
    return f"{name} ({code})" if name else ""
