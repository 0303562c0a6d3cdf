"""Checks of what an exporter types against reference data: ISO 4217 currencies and the windows
in which a departure or invoice date is plausible. Each refusal says what to enter instead.

The windows (README, "Reference data checks"):
- departure: today or later (a certificate of origin is asked for before the goods leave) and at
  most DEPARTURE_MAX_AHEAD_DAYS ahead (about 6 months: sailings are not booked further out);
- invoice: today or earlier (an invoice is issued before the certificate is asked for) and at
  most INVOICE_MAX_AGE_DAYS old (about 12 months: older invoices are not a current shipment).
"""

from __future__ import annotations

import datetime as dt

import pycountry
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext

DEPARTURE_MAX_AHEAD_DAYS = 183
INVOICE_MAX_AGE_DAYS = 365
# ISO 4217 codes that name no money an invoice can be in: "no currency" and "for testing".
NOT_MONEY = frozenset({"XXX", "XTS"})


def _day(value: dt.date) -> str:
    return date_format(value, "j F Y")


def currency_clean(value: str) -> str:
    """An ISO 4217 code ('usd' -> 'USD'), from pycountry's list of current currencies."""
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationError("Enter the currency as a 3-letter code, such as USD.")
    if code in NOT_MONEY or pycountry.currencies.get(alpha_3=code) is None:
        raise ValidationError(
            gettext(
                "%(code)s is not an ISO 4217 currency code. Enter a code such as USD, EUR or INR."
            )
            % {"code": code}
        )
    return code


def departure_date_check(value: dt.date, *, today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    if value < today:
        raise ValidationError("Enter a departure date that is today or in the future.")
    latest = today + dt.timedelta(days=DEPARTURE_MAX_AHEAD_DAYS)
    if value > latest:
        raise ValidationError(
            gettext("Enter a departure date within the next 6 months (on or before %(day)s).")
            % {"day": _day(latest)}
        )
    return value


def invoice_date_check(value: dt.date, *, today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    if value > today:
        raise ValidationError("Enter an invoice date that is today or in the past.")
    earliest = today - dt.timedelta(days=INVOICE_MAX_AGE_DAYS)
    if value < earliest:
        raise ValidationError(
            gettext("Enter an invoice date within the last 12 months (on or after %(day)s).")
            % {"day": _day(earliest)}
        )
    return value
