"""Reads for the public verification pages and API.

Each page costs a fixed number of queries whatever the certificate holds: one for the
certificate with everything printed beside it (select_related), one for its goods.

The exporter's name is the application's firm (one join); it was a subquery through the
filer's profile before applications belonged to a firm, since the join through the user and
the profile cost PostgreSQL about 3 ms of planning.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    F,
    JSONField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast, JSONObject

from applications.models import Invoice, LineItem
from certificates.models import Certificate, CertificateRevision

from .models import Utilisation, VerificationLog

_RELATED = (
    "application__agency",
    "application__office",
    "application__agreement",
    "application__certified_copy_of",
    "superseded_by",
)


def _certificates() -> QuerySet[Certificate]:
    """Certificates with `exporter_name` (the IEC holder's firm name) and what the answer shows."""
    return (
        Certificate.objects.select_related(*_RELATED)
        .annotate(exporter_name=F("application__firm__firm_name"))
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
    """The registered certificate one of whose PDF revisions (the signed one, the one issued,
    each archive timestamp's: certificates.archive) has this SHA-256 (lower-case hex)."""
    revisions = CertificateRevision.objects.filter(sha256=sha256).values("certificate_id")
    return _one(_certificates().filter(Q(sha256=sha256) | Q(pk__in=revisions)))


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

    def as_sqlite(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def]  # Django's Func.as_sql is untyped
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


def _json_rows(model: type, fields: dict[str, Any]) -> Subquery:
    rows = (
        model.objects.filter(application_id=OuterRef("application_id"))  # type: ignore[attr-defined]  # model is one of the app models, each with a default manager
        .order_by()
        .values("application_id")
        .annotate(rows=_JSONArray(JSONObject(**fields)))
        .values("rows")
    )
    return Subquery(rows, output_field=JSONField())


def _json_utilisations(fields: dict[str, Any]) -> Subquery:
    """The imports recorded on the certificate (verification/utilisation.py), as _json_rows."""
    rows = (
        Utilisation.objects.filter(
            certificate_id=OuterRef("id"), outcome=Utilisation.Outcome.RECORDED
        )
        .order_by()
        .values("certificate_id")
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
    "offline_until",
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
    "application__agency__self_declaration",
    "application__office__code",
    "application__office__name",
    "application__office__city",
    "application__agreement__code",
    "application__agreement__name",
    "application__agreement__single_import",
    "application__certified_copy_of__number",
    "application__certified_copy_of__issued_at",
)


def _answer_rows(number: str) -> QuerySet[Any, dict[str, Any]]:  # rows of .values()
    text: CharField[str, str] = CharField()
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
    imports = {
        "id": F("id"),
        "entry_number": F("entry_number"),
        "entry_date": Cast("entry_date", text),
        "port": F("port"),
        "item_position": F("item_position"),
        "quantity": Cast("quantity", text),
        "organisation": F("organisation__name"),
        "country": F("organisation__country"),
    }
    return (
        Certificate.objects.filter(number=number)
        .order_by()
        .annotate(
            exporter_name=F("application__firm__firm_name"),
            goods=_json_rows(LineItem, goods),
            invoice_rows=_json_rows(Invoice, invoices),
            utilisation_rows=_json_utilisations(imports),
        )
        .values(*ANSWER_COLUMNS, "exporter_name", "goods", "invoice_rows", "utilisation_rows")
    )


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    number_at: int  # the number's place among the parameters
    names: tuple[str, ...]
    converters: dict[int, tuple[list[Any], Any]]  # as SQLCompiler.get_converters returns them


_NUMBER = "\x00the number\x00"  # stands for the number while the query is compiled


@functools.lru_cache(maxsize=4)
def _compiled(alias: str, vendor: str) -> _Compiled:
    """certificate_answer_row's query, built and compiled once per process and database.

    Building and compiling this query through the ORM cost about 3 ms of CPU a lookup (the
    annotations, three subqueries and six joins), three times what PostgreSQL spends on it;
    only the number changes from one lookup to the next.
    """
    query = _answer_rows(_NUMBER).query
    compiler = query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    (number_at,) = [n for n, param in enumerate(params) if param == _NUMBER]
    fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
    names = (*query.extra_select, *query.values_select, *query.annotation_select)
    return _Compiled(sql, tuple(params), number_at, names, compiler.get_converters(fields))


_PREPARED = "coo_verify_answer"


def _execute_prepared(cursor: Any, connection: Any, compiled: _Compiled, params: list[Any]) -> None:
    """On PostgreSQL, the query as a prepared statement of the session: planning it cost
    0.6 ms of the database's time per lookup, four times running it (bench/README.md). Made
    once per database connection (the first lookup on a connection costs one query more, the
    PREPARE); VERIFY_PREPARE=0 where sessions are shared (a transaction-pooling PgBouncer)."""
    raw = connection.connection
    if getattr(connection, "_coo_verify_prepared_on", None) is not raw:
        placeholders = iter(range(1, len(params) + 1))
        sql = re.sub("%s", lambda _: f"${next(placeholders)}", compiled.sql)
        # With (empty) parameters, so that the driver unescapes "%%" as in any other query.
        cursor.execute(f"PREPARE {_PREPARED} AS {sql}", [])
        connection._coo_verify_prepared_on = raw
    cursor.execute(f"EXECUTE {_PREPARED}({', '.join(['%s'] * len(params))})", params)


def certificate_answer_row(number: str) -> dict[str, Any] | None:
    """The certificate with this number as one row of exactly what its answer shows, its goods
    and invoices included as JSON arrays: one query, no model instance built."""
    connection = connections[DEFAULT_DB_ALIAS]
    compiled = _compiled(DEFAULT_DB_ALIAS, connection.vendor)
    params = list(compiled.params)
    params[compiled.number_at] = number
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and settings.VERIFY_PREPARE:
            _execute_prepared(cursor, connection, compiled, params)
        else:
            cursor.execute(compiled.sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    values = list(found)
    for at, (converters, expression) in compiled.converters.items():
        for convert in converters:
            values[at] = convert(values[at], expression, connection)
    return dict(zip(compiled.names, values, strict=True))
