"""Reads: the exporter's applications, the state of each section, what still blocks submit."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from accounts import firms
from accounts.models import FirmMember, User
from accounts.permissions import is_verified_officer_of
from core.pagination import Order
from reference.models import InLieuFee

from .declared import declared_sha256, signature_latest
from .models import (
    REQUIRED_DOCUMENTS,
    AgencyOffice,
    Application,
    ApplicationEvent,
    CertificateType,
    Document,
    DocumentKind,
    Fee,
    Invoice,
    IssuingAgency,
    LineItem,
    Payment,
    Status,
    TradeAgreement,
    UploadCheck,
)
from .worksheet import ItemWorksheet, item_worksheet

NOT_STARTED, IN_PROGRESS, COMPLETED = "not_started", "in_progress", "completed"
STATE_LABELS = {NOT_STARTED: "Not started", IN_PROGRESS: "In progress", COMPLETED: "Completed"}

PARTY_FIELDS = ("consignee_name", "consignee_address", "consignee_country")
THIRD_PARTY_FIELDS = ("third_party_name", "third_party_address", "third_party_country")
TRANSPORT_FIELDS = (
    "transport_mode",
    "vessel_or_flight",
    "port_of_loading",
    "port_of_discharge",
    "departure_date",
)
DECLARATION_FIELDS = (
    "declaration_name",
    "declaration_designation",
    "declaration_place",
    "declaration_date",
)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    url_name: str
    state: str

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def done(self) -> bool:
        return self.state == COMPLETED


# ---------------------------------------------------------------------------------------------
# Lookups that answer 404 for anybody else's application
# ---------------------------------------------------------------------------------------------


def application_get_for_exporter(*, reference: str, user: User) -> Application:
    """An application of a firm `user` acts for (a member, or an agent it authorises now),
    with everything the pages show, in a fixed number of queries. Anyone else's reference is a
    404, exactly like a reference that does not exist."""
    qs = (
        Application.objects.filter(reference=reference, firm_id__in=firms.firm_ids_for(user))
        .select_related("agreement", "agency", "office", "firm", "exporter", "filed_by_agent")
        .prefetch_related(
            "items",
            "invoices",
            "documents",
            Prefetch("payments", queryset=Payment.objects.order_by("-created_at")),
            Prefetch("events", queryset=ApplicationEvent.objects.select_related("actor")),
        )
    )
    application = qs.first()
    if application is None:
        raise Http404("No such application")
    return application


def document_get_for_viewer(*, reference: str, document_id: int, user: User) -> Document:
    """A document for its owner, or for a second-factor-verified officer of the chosen agency
    once the application has been submitted (a draft's documents are the exporter's alone, also
    after a withdrawal before submission). Everyone else gets a 404."""
    document = (
        Document.objects.select_related("application")
        .filter(pk=document_id, application__reference=reference)
        .first()
    )
    if document is None:
        raise Http404("No such document")
    application = document.application
    if firms.may(user, application.firm_id, firms.Capability.VIEW):
        return document
    submitted = application.first_submitted_at is not None
    if submitted and is_verified_officer_of(user, application.agency_id):
        return document
    raise Http404("No such document")


# Most recently updated first; the index app_firm_updated (firm, -updated_at, -id) and
# app_firm_status (firm, status, -updated_at, -id) serve it, filtered or not.
EXPORTER_LIST_ORDER = Order("updated_at", descending=True)


# A trigram index finds a substring of three characters or more; a shorter one would be looked
# for in every row, so it matches whole values only (a reference or an invoice number).
SUBSTRING_MIN_LENGTH = 3

# A search's branch whose matches hold at most this many ids is looked up as those ids.
FEW_MATCHES = 2000


# A search's matches: one (queryset of application ids, the same test as a filter) per thing
# searched (reference, invoice number, ...), each served by an index of its own. A test may
# instead be a function of the queryset's values (say the firm an IEC names, to be tested as
# a value rather than a subquery), used whatever their number.
Matches = list[tuple[QuerySet[Any], Q | Callable[[list[Any]], Q]]]


def _matched_ids(branches: Sequence[QuerySet[Any]]) -> list[list[Any]]:
    """Each branch's ids (querysets of one id column), cut at FEW_MATCHES + 1: one query of a
    UNION ALL of the cut branches, so a branch of a million matches stops after a few
    thousand. Composed from each queryset's compiled SQL and parameters, as
    core.pagination.bounded_counts is (a compound of sliced queries is not portable in the
    ORM); nothing is interpolated from input."""
    parts: list[str] = []
    params: list[Any] = []
    for number, branch in enumerate(branches):
        try:
            sql, branch_params = branch.order_by()[: FEW_MATCHES + 1].query.sql_with_params()
        except EmptyResultSet:  # a scope that can match nothing (no firm, `pk__in=[]`)
            continue
        parts.append(f"SELECT {number}, b.* FROM ({sql}) AS b")  # noqa: S608
        params.extend(branch_params)
    found: list[list[Any]] = [[] for _ in branches]
    if not parts:
        return found
    with connections[branches[0].db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for number, value in cursor.fetchall():
            found[number].append(value)
    return found


# A search that begins like a reference (letters, then a hyphen: "COO-2026-00") is looked up
# from the start of the references, an index range (app_agency_status_reference for the
# officers, app_firm_reference_start for a firm), rather than anywhere in them through a
# trigram index, whose trigrams ("COO", "202", "000") are in nearly every row. A reference's
# letters come only before its first hyphen, so such a search finds every reference it could
# otherwise, but for one that starts inside those letters ("OO-2026"); both searches' hints
# say so.
REFERENCE_START = re.compile(r"[A-Za-z]+-")


def reference_match(mine: QuerySet[Application], query: str) -> tuple[QuerySet[Any], Q]:
    """A search's reference branch (search_by_plan): from the start, or anywhere in it."""
    if REFERENCE_START.match(query):
        test = Q(reference__startswith=query.upper())
    else:
        test = Q(reference__icontains=query)
    return mine.filter(test).values("pk"), test


def search_by_plan(
    qs: QuerySet[Application],
    *,
    mine: QuerySet[Application],
    invoices: QuerySet[Invoice],
    query: str,
    substring: Callable[[], Matches],
) -> QuerySet[Application]:
    """The applications of `qs` that a search matches, each thing searched by the cheaper of
    two plans, decided by one probe query (_matched_ids):

    A branch of few matches (a reference, an invoice number, a small firm) gives its ids,
    and the page and the counts get them as a list, so the database starts from those rows
    (primary-key lookups however long the list) and never reads the tab to check each row
    against them. A branch of many (a common substring, a firm of a hundred thousand
    applications) stays a filter, so that the list's own index, read in the page's order,
    meets the page and the counts' bound after a few rows, where a list would hold a million
    ids. Under three characters a query matches whole references and invoice numbers only
    (no trigram index finds a shorter substring); `substring` gives the matches of a longer
    one. `mine` and `invoices` are the scope's rows, unordered."""
    if len(query) < SUBSTRING_MIN_LENGTH:
        matches: Matches = [
            (mine.filter(reference=query.upper()).values("pk"), Q(reference=query.upper())),
            (
                invoices.filter(number__iexact=query).values("application_id"),
                Q(Exists(Invoice.objects.filter(application=OuterRef("pk"), number__iexact=query))),
            ),
        ]
    else:
        matches = substring()
    found = _matched_ids([branch for branch, _test in matches])
    ids: set[Any] = set()
    tests: list[Q] = []
    for (_branch, test), branch_ids in zip(matches, found, strict=True):
        if not isinstance(test, Q):
            if branch_ids:
                tests.append(test(branch_ids))
        elif len(branch_ids) > FEW_MATCHES:
            tests.append(test)
        else:
            ids.update(branch_ids)
    if ids:
        tests.append(Q(pk__in=sorted(ids)))
    if not tests:  # nothing matches: still one query, as `pk__in=[]` would send none
        return qs.filter(pk__isnull=True)
    return qs.filter(reduce(operator.or_, tests))


def applications_for_exporter(
    *, user: User, firm_id: int | None = None, status: str = "", query: str = ""
) -> QuerySet[Application]:
    """The applications of the firm `firm_id` (by default every firm `user` acts for now;
    none when `user` may not see that firm's)."""
    allowed = firms.firm_ids_for(user)
    scope: dict[str, Any] = (
        {"firm_id": firm_id} if firm_id is not None else {"firm_id__in": allowed}
    )
    if firm_id is not None and firm_id not in allowed:
        scope = {"pk__in": []}
    # The certificate (a reverse one-to-one of the certificates app, named here rather than
    # imported) is joined so the list shows its own status: valid, revoked or superseded.
    qs = Application.objects.filter(**scope).select_related(
        "agreement", "agency", "office", "certificate", "firm", "filed_by_agent"
    )
    if status:
        qs = qs.filter(status=status)
    query = query.strip()
    if query:
        qs = _exporter_search(qs, scope=scope, query=query)
    return qs.order_by(*EXPORTER_LIST_ORDER.order_by())


def _exporter_search(
    qs: QuerySet[Application], *, scope: dict[str, Any], query: str
) -> QuerySet[Application]:
    """The exporter's search (search_by_plan): reference, the filer's own reference,
    consignee, certificate number, invoice number (trigram indexes that lead with the firm:
    migrations 0009 and 0017 here, 0004 in certificates)."""
    mine = Application.objects.filter(**scope).order_by()  # no ORDER BY in a UNION
    invoices = Invoice.objects.filter(**{f"application__{k}": v for k, v in scope.items()})

    def substring() -> Matches:
        return [
            reference_match(mine, query),
            # the filer's own reference
            (mine.filter(client_reference=query).values("pk"), Q(client_reference=query)),
            (
                mine.filter(consignee_name__icontains=query).values("pk"),
                Q(consignee_name__icontains=query),
            ),
            (
                mine.filter(certificate__number__icontains=query).values("pk"),
                Q(certificate__number__icontains=query),
            ),
            (
                invoices.order_by().filter(number__icontains=query).values("application_id"),
                Q(
                    Exists(
                        Invoice.objects.filter(application=OuterRef("pk"), number__icontains=query)
                    )
                ),
            ),
        ]

    return search_by_plan(
        qs, mine=mine, invoices=invoices.order_by(), query=query, substring=substring
    )


# ---------------------------------------------------------------------------------------------
# Reference data for the "Apply" form
# ---------------------------------------------------------------------------------------------


def agencies_for(agreement: TradeAgreement | None) -> QuerySet[IssuingAgency]:
    if agreement is None:
        return IssuingAgency.objects.filter(issues_non_preferential=True)
    return IssuingAgency.objects.filter(agreements=agreement)


def offices_for(agreement: TradeAgreement | None) -> QuerySet[AgencyOffice]:
    return AgencyOffice.objects.filter(agency__in=agencies_for(agreement)).select_related("agency")


@dataclass(frozen=True)
class FeeDue:
    """What this application's fee is: the schedule's fee, or for a certificate in lieu what
    the issuing agency's policy makes of it (none, a reduced share, or the full fee)."""

    amount: Decimal  # what is charged (0: nothing is due)
    currency: str
    full_amount: Decimal  # the schedule's fee for this kind of certificate
    in_lieu_policy: str = ""  # the agency's InLieuFee for a certificate in lieu, else ""
    explanation: str = ""  # in words, said before payment

    @property
    def waived(self) -> bool:
        return self.amount == 0


def _schedule_fee(application: Application) -> Fee | None:
    """The fee in force today: one set for the agreement wins over the type's general one."""
    today = timezone.localdate()
    qs = Fee.objects.filter(certificate_type=application.certificate_type, valid_from__lte=today)
    if application.certificate_type == CertificateType.PREFERENTIAL:
        specific = qs.filter(agreement=application.agreement).first()
        if specific:
            return specific
    return qs.filter(agreement=None).first()


def fee_for(application: Application) -> FeeDue | None:
    """The fee due for the application, computed here and never taken from the browser; None
    when the schedule sets none for its kind of certificate."""
    fee = _schedule_fee(application)
    if fee is None:
        return None
    if application.is_self_declared:
        return FeeDue(
            amount=Decimal("0.00"),
            currency=fee.currency,
            full_amount=fee.amount,
            explanation=gettext(
                "A self-declaration is your own statement on origin: no agency certifies it, "
                "so no agency fee is charged."
            ),
        )
    if application.replaces_id is None:
        return FeeDue(amount=fee.amount, currency=fee.currency, full_amount=fee.amount)
    agency = application.agency
    policy = agency.in_lieu_fee
    full = f"{fee.currency} {fee.amount}"
    if policy == InLieuFee.NONE:
        amount = Decimal("0.00")
        words = gettext(
            "%(agency)s charges no fee for a certificate issued in lieu of one of its own."
        ) % {"agency": agency.name}
    elif policy == InLieuFee.REDUCED:
        share = Decimal(agency.in_lieu_fee_percent) / 100
        amount = (fee.amount * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        words = gettext(
            "%(agency)s charges %(percent)s%% of the fee for a certificate issued in lieu of "
            "one of its own: %(currency)s %(amount)s instead of %(full)s."
        ) % {
            "agency": agency.name,
            "percent": agency.in_lieu_fee_percent,
            "currency": fee.currency,
            "amount": amount,
            "full": full,
        }
    else:
        amount = fee.amount
        words = gettext(
            "%(agency)s charges the full fee, %(full)s, for a certificate issued in lieu."
        ) % {"agency": agency.name, "full": full}
    return FeeDue(
        amount=amount,
        currency=fee.currency,
        full_amount=fee.amount,
        in_lieu_policy=policy,
        explanation=words,
    )


def fee_waived(application: Application) -> bool:
    """No fee is due: a self-declaration (no agency certifies it), or a certificate in lieu
    from an agency that charges none for it."""
    if application.is_self_declared:
        return True
    return application.replaces_id is not None and application.agency.in_lieu_fee == InLieuFee.NONE


def captured_payment(application: Application) -> Payment | None:
    # Uses the prefetched payments when they are there.
    return next((p for p in application.payments.all() if p.state == Payment.State.CAPTURED), None)


# ---------------------------------------------------------------------------------------------
# Sections and submission
# ---------------------------------------------------------------------------------------------


def _filled(application: Application, fields: tuple[str, ...]) -> int:
    return sum(1 for f in fields if getattr(application, f) not in ("", None))


def _state(filled: int, total: int) -> str:
    if filled == 0:
        return NOT_STARTED
    return COMPLETED if filled >= total else IN_PROGRESS


def application_sections(application: Application) -> list[Section]:
    parties_fields = PARTY_FIELDS + (
        THIRD_PARTY_FIELDS if application.third_party_invoicing else ()
    )
    kinds = {d.kind for d in application.documents.all()}
    required_there = sum(1 for k in REQUIRED_DOCUMENTS if k in kinds)
    declaration = _filled(application, DECLARATION_FIELDS) + int(application.declaration_accepted)
    return [
        Section(
            "parties",
            gettext("Exporter and consignee"),
            "applications:parties",
            _state(_filled(application, parties_fields), len(parties_fields)),
        ),
        Section(
            "transport",
            gettext("Transport and route"),
            "applications:transport",
            _state(_filled(application, TRANSPORT_FIELDS), len(TRANSPORT_FIELDS)),
        ),
        Section(
            "invoices",
            gettext("Invoices"),
            "applications:invoices",
            COMPLETED if application.invoices.all() else NOT_STARTED,
        ),
        Section(
            "goods",
            gettext("Goods"),
            "applications:goods",
            COMPLETED if application.items.all() else NOT_STARTED,
        ),
        Section(
            "documents",
            gettext("Supporting documents"),
            "applications:documents",
            _state(required_there if kinds else 0, len(REQUIRED_DOCUMENTS))
            if kinds
            else NOT_STARTED,
        ),
        Section(
            "declaration",
            gettext("Exporter's declaration"),
            "applications:declaration",
            _state(declaration, len(DECLARATION_FIELDS) + 1),
        ),
    ]


def submission_problems(application: Application) -> list[str]:
    """Everything that still stops the application being submitted, in words for the exporter.
    Empty when it may be submitted."""
    problems = [
        f"complete the section \u201c{s.title}\u201d"
        for s in application_sections(application)
        if not s.done
    ]
    kinds = {d.kind for d in application.documents.all()}
    for kind in REQUIRED_DOCUMENTS:
        if kind not in kinds:
            problems.append(f"upload the {kind.label.lower()}")
    if application.back_to_back and DocumentKind.FOREIGN_CERTIFICATE not in kinds:
        problems.append("upload the foreign certificate of origin the goods arrived with")
    problems += [
        f"correct item {item.position}'s criterion ({sheet.problem.rstrip('.')})"
        for item, sheet in item_worksheets(application)
        if sheet.problem
    ]
    if (
        application.status == Status.DRAFT
        and captured_payment(application) is None
        and not fee_waived(application)
    ):
        problems.append("pay the fee")
    problem = signature_problem(application)
    if problem:
        problems.append(problem)
    return problems


SIGNATORYS_PART = ("complete the section \u201cExporter's declaration\u201d", "pay the fee")


def preparer_problems(application: Application) -> list[str]:
    """What still stops the draft being ready for a signatory: everything but the signatory's
    own part (the declaration, its signature and the fee)."""
    theirs = {*SIGNATORYS_PART, signature_problem(application)}
    return [p for p in submission_problems(application) if p not in theirs]


def drafts_awaiting_signature(user: Any) -> list[Application]:
    """Drafts a preparer has said are ready, in the firms where `user` may sign (declare, pay
    and submit) them: their dashboard's "Ready for your signature"."""
    firm_ids = [f for f in firms.firm_ids_for(user) if firms.may(user, f, firms.Capability.SUBMIT)]
    if not firm_ids:
        return []
    return list(
        Application.objects.filter(
            firm_id__in=firm_ids,
            status=Status.DRAFT,
            signature_requested_at__isnull=False,
        )
        .select_related("signature_requested_by")
        .order_by("signature_requested_at")[:20]
    )


def signature_problem(application: Application) -> str:
    """What the declaration's signature still needs, in words for the exporter; "" when the
    last signature covers the application as it is now. One query."""
    latest = signature_latest(application)
    if latest is None:
        return "sign the declaration with the code we send to your mobile"
    if latest.content_sha256 != declared_sha256(application):
        return (
            "sign the declaration again: the application changed after "
            f"{latest.signer_name} signed it"
        )
    return ""


def item_worksheets(application: Application) -> list[tuple[LineItem, ItemWorksheet]]:
    """Each preferential item with what its cost sheet says of its criterion (two queries:
    the items with their cost sheets, and the materials with their evidence)."""
    agreement = application.agreement
    if agreement is None or not application.is_preferential:
        return []
    items = application.items.select_related("cost_sheet").prefetch_related(
        "cost_sheet__materials__evidence"
    )
    return [(item, item_worksheet(item, agreement.code)) for item in items]


def invoice_numbers_elsewhere(application: Application) -> dict[str, list[str]]:
    """The invoice numbers of this application that the same firm has also put on other
    applications: {number: [references]}. One query. A repeat is a warning, not a refusal: a
    shipment may be split over certificates, or one invoice typed twice by mistake."""
    repeats: dict[str, list[str]] = {}
    numbers = Invoice.objects.filter(application_id=application.pk).values("number")
    rows = (
        Invoice.objects.filter(application__firm_id=application.firm_id, number__in=numbers)
        .exclude(application_id=application.pk)
        .order_by("application__reference")
        .values_list("number", "application__reference")
        .distinct()
    )
    for number, reference in rows:
        repeats.setdefault(number, []).append(reference)
    return repeats


def submitted_by_label(application: Application) -> str:
    """ "<name> (<capacity>)" of the person who submitted the application (the declaration
    names them), the capacity as it was when they submitted; "" before submission."""
    user = application.submitted_by
    if user is None:
        return ""
    name = user.get_full_name() or user.username
    capacity = application.submitted_as or submitter_capacity(user, application)
    return f"{name} ({capacity})" if capacity else name


def submitter_capacity(user: User, application: Application) -> str:
    """What `user` acts as for the application's firm now: their role in it ("Signatory"),
    or, for an agent's staff, "agent's staff, <agent>"; "" if neither. Applications
    submitted before it was kept (submitted_as) show this instead."""
    member = FirmMember.objects.filter(user_id=user.pk, firm_id=application.firm_id).first()
    if member is not None:
        return member.get_role_display()
    agent = application.filed_by_agent
    if agent is not None:
        return f"agent's staff, {agent.name}"
    return ""


def upload_checks_to_show(application: Application) -> list[UploadCheck]:
    """The application's uploads being checked, and those checked whose result the uploader's
    page has not shown yet (services.upload_checks_told)."""
    return list(
        UploadCheck.objects.filter(application=application)
        .filter(Q(state=UploadCheck.State.CHECKING) | Q(told_at__isnull=True))
        .select_related("document", "application")
        .order_by("created_at", "pk")
    )


def upload_check_get_for_exporter(*, reference: str, check_id: int, user: User) -> UploadCheck:
    """An upload being checked, for the people of the application's firm (polled every
    second: two light queries). Anyone else's is a 404."""
    check = (
        UploadCheck.objects.select_related("application", "document")
        .filter(
            pk=check_id,
            application__reference=reference,
            application__firm_id__in=firms.firm_ids_for(user),
        )
        .first()
    )
    if check is None:
        raise Http404("No such upload")
    return check
