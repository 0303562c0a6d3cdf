"""The values that pass between the portal and a payment gateway (see payments.PaymentGateway):
kept apart from payments.py so that each gateway's module can use them while payments.py lists
the gateways."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass


class GatewayUnavailable(LookupError):  # noqa: N818 - reads as the outcome, like Http404
    """No usable gateway: unknown name, the sandbox where it is not allowed, an agency without
    an account, or a gateway that cannot be reached."""


class RefundRefused(Exception):  # noqa: N818 - reads as the outcome
    """The gateway answered a refund with no (already refunded, more than was paid...)."""


@dataclass(frozen=True)
class GatewayEvent:
    """What a gateway says happened to an order, in the portal's words: `status` is captured,
    failed or cancelled; `amount` in rupees ("200.00"); `event_id` the same for the same fact
    whichever route brings it (notification, return, status query), so it applies once."""

    order_id: str
    event_id: str
    status: str
    amount: str
    currency: str
    gateway_reference: str

    def as_payload(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    amount_paise: int
    processed: bool  # False: accepted by the gateway, money on its way


@dataclass(frozen=True)
class SettlementLine:
    """One line of a gateway's settlement file: a payment, a refund or an adjustment settled
    to the agency's bank account, with the gateway's fee and the tax on that fee."""

    entity_id: str
    kind: str  # "payment", "refund", "adjustment"
    order_id: str  # the gateway's order id, for a payment
    amount_paise: int
    fee_paise: int
    tax_paise: int
    settlement_id: str


def env_suffix(agency_code: str) -> str:
    """EPC-1 -> EPC_1: how an agency code appears in environment variable names (the same rule
    as the signing keys' SIGNING_P12_<AGENCY>)."""
    return re.sub(r"[^A-Z0-9]", "_", agency_code.upper())
