"""Reads for the public verification pages and API.

Each page costs a fixed number of queries whatever the certificate holds: one for the
certificate with everything printed beside it (select_related), one for its goods.

The exporter's name comes from a subquery rather than by joining through the user and the
profile: PostgreSQL spends about 3 ms planning the nine-table join and 0.6 ms planning this,
on a query that takes 0.3 ms to run (measured with bench/verify_load.py's data).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    Aggregate,
    CharField,
    Count,
    F,
    JSONField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast, JSONObject

from accounts.models import IECRecord
from applications.models import Invoice, LineItem
from certificates.models import Certificate

from .models import VerificationLog

_RELATED = (
    "application__agency",
    "application__office",
    "application__agreement",
    "superseded_by",
)


def _certificates() -> QuerySet[Certificate]:
    """Certificates with `exporter_name` (the IEC holder's firm name) and what the answer shows."""
    # order_by(): IECRecord's default ordering would make PostgreSQL sort the one-row subquery.
    firm_name = IECRecord.objects.filter(
        profile__user_id=OuterRef("application__exporter_id")
    ).order_by()
    return (
        Certificate.objects.select_related(*_RELATED)
        .annotate(exporter_name=Subquery(firm_name.values("firm_name")[:1]))
        .order_by()
    )


def _one(queryset: QuerySet[Certificate]) -> Certificate | None:
    try:
        return queryset.get()
    except Certificate.DoesNotExist:
        return None


def certificate_by_number(number: str) -> Certificate | None:
    """The certificate with this number and everything the answer prints, bar its goods."""
    return _one(_certificates().filter(number=number))


def certificate_by_sha256(sha256: str) -> Certificate | None:
    """The registered certificate whose signed PDF has this SHA-256 (lower-case hex)."""
    return _one(_certificates().filter(sha256=sha256))


def certificate_items(certificate: Certificate) -> list[LineItem]:
    """The goods, in the order the certificate prints them (one query)."""
    return list(
        LineItem.objects.filter(application_id=certificate.application_id).order_by("position")
    )


def certificate_invoices(certificate: Certificate) -> list[Invoice]:
    """The invoices box 10 prints, by date (one query): a verifier compares them with the paper."""
    return list(
        Invoice.objects.filter(application_id=certificate.application_id).order_by("date", "pk")
    )


def verification_summary(certificate: Certificate) -> tuple[int, dt.datetime | None]:
    """How many times the certificate was verified successfully, and when last (one query).

    Failed lookups are never tied to a certificate, so they do not count here.
    """
    row = VerificationLog.objects.filter(certificate=certificate).aggregate(
        count=Count("id"), last_at=Max("created_at")
    )
    return row["count"], row["last_at"]


def verification_history(certificate: Certificate, *, limit: int = 20) -> list[VerificationLog]:
    """The latest verifications of a certificate, newest first."""
    return list(
        VerificationLog.objects.filter(certificate=certificate).order_by("-created_at")[:limit]
    )


# ---------------------------------------------------------------------------------------------
# The lookup's one query
# ---------------------------------------------------------------------------------------------


class _JSONArray(Aggregate):
    """The rows of a group as one JSON array (jsonb_agg / json_group_array): the goods and the
    invoices travel in the certificate's row instead of two more queries. Unordered: the
    answer sorts them (a handful of rows) rather than asking SQLite 3.40 for an ORDER BY inside
    an aggregate, which it cannot do."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def]
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


def _json_rows(model: type, fields: dict[str, Any]) -> Subquery:
    rows = (
        model.objects.filter(application_id=OuterRef("application_id"))  # type: ignore[attr-defined]
        .order_by()
        .values("application_id")
        .annotate(rows=_JSONArray(JSONObject(**fields)))
        .values("rows")
    )
    return Subquery(rows, output_field=JSONField())


# Every column the answer (page and API) shows, and nothing else. Decimals travel as text so
# that no float ever holds a quantity or a value; answers.py restores their scale.
ANSWER_COLUMNS = (
    "id",
    "number",
    "verification_code",
    "sha256",
    "status",
    "issued_at",
    "revoked_at",
    "revocation_reason",
    "superseded_by__number",
    "superseded_by__verification_code",
    "application__certificate_type",
    "application__consignee_name",
    "application__destination_country",
    "application__consignee_country",
    "application__agency__code",
    "application__agency__name",
    "application__office__code",
    "application__office__name",
    "application__office__city",
    "application__agreement__code",
    "application__agreement__name",
)


def certificate_answer_row(number: str) -> dict[str, Any] | None:
    """The certificate with this number as one row of exactly what its answer shows, its goods
    and invoices included as JSON arrays: one query, no model instance built."""
    firm_name = IECRecord.objects.filter(
        profile__user_id=OuterRef("application__exporter_id")
    ).order_by()
    text = CharField()
    goods = {
        "position": F("position"),
        "description": F("description"),
        "hs_code": F("hs_code"),
        "quantity": Cast("quantity", text),
        "unit": F("unit"),
        "gross_weight_kg": Cast("gross_weight_kg", text),
        "fob_value": Cast("fob_value", text),
        "fob_currency": F("fob_currency"),
    }
    invoices = {"id": F("id"), "number": F("number"), "date": Cast("date", text)}
    rows = (
        Certificate.objects.filter(number=number)
        .order_by()
        .annotate(
            exporter_name=Subquery(firm_name.values("firm_name")[:1]),
            goods=_json_rows(LineItem, goods),
            invoice_rows=_json_rows(Invoice, invoices),
        )
        .values(*ANSWER_COLUMNS, "exporter_name", "goods", "invoice_rows")
    )
    for row in rows:
        return row
    return None
