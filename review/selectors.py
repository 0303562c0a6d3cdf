"""Reads for officers: the agency queue, the review page, automatic checks, the dashboard.

Every read starts from the officer's own agency, so an application filed with another agency
is a 404, exactly like a reference that does not exist. Each function runs a fixed number of
queries whatever the size of the queue or of the application.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import IECRecord, OfficerProfile, User
from applications.models import (
    DECIDED_STATUSES,
    OVERDUE_STATUSES,
    AgencyOffice,
    Application,
    ApplicationEvent,
    Invoice,
    LineItem,
    Payment,
    Status,
    TradeAgreement,
)
from applications.selectors import Matches, reference_match, search_by_plan
from applications.worksheet import ItemWorksheet, item_worksheet
from certificates.selectors import (
    applications_annotate_issuance_delayed,
    applications_issuance_stuck,
)
from core.pagination import (
    COUNT_LIMIT,
    KeysetPage,
    Order,
    bounded_counts,
    count_label,
    keyset_page,
)
from reference.certificate_forms import form_for
from reference.hs import hs_descriptions

# ---------------------------------------------------------------------------------------------
# Who is asking
# ---------------------------------------------------------------------------------------------


def officer_profile_for(user: User) -> OfficerProfile:
    """The officer's profile (agency and office). Anyone without one gets a 404: the officer
    pages do not exist for them."""
    profile = (
        OfficerProfile.objects.select_related("agency", "office")
        .annotate(other_office_count=Count("other_offices"))  # the queue's hint, same query
        .filter(user=user)
        .first()
        if user.is_officer
        else None
    )
    if profile is None:
        raise Http404("Not an officer")
    user.officer_profile = profile  # the permissions module asks for it again: no 2nd query
    return profile


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    key: str
    title: str
    statuses: tuple[str, ...]


TABS = (
    Tab("new", "New", (Status.SUBMITTED,)),
    Tab("review", "In review", (Status.UNDER_REVIEW,)),
    Tab("awaiting", "Awaiting exporter", (Status.CLARIFICATION_REQUESTED,)),
    Tab("decided", "Decided", DECIDED_STATUSES),
)
TABS_BY_KEY = {t.key: t for t in TABS}
QUEUE_PAGE_SIZE = 25


@dataclass(frozen=True)
class QueueFilters:
    tab: str = "new"
    all_offices: bool = False
    agreement: TradeAgreement | None = None
    non_preferential: bool = False
    office: AgencyOffice | None = None
    mine: bool = False
    query: str = ""


def applications_seen_by_officers(*, agency_id: int) -> QuerySet[Application]:
    """The agency's applications that its officers may see: those submitted at least once.
    A draft, and a draft withdrawn before it was ever submitted, is the exporter's alone."""
    return Application.objects.filter(agency_id=agency_id, first_submitted_at__isnull=False)


def _queue_base(
    *, profile: OfficerProfile, user: User, filters: QueueFilters
) -> QuerySet[Application]:
    """The agency's applications under every filter except the tab.

    Every tab's statuses follow a submission (a test holds TABS to that), so the tab's own
    status filter keeps drafts out and this needs no first_submitted_at test, which would cost
    the counts their index-only scans."""
    qs = Application.objects.filter(agency_id=profile.agency_id)
    if filters.office is not None:
        qs = qs.filter(office=filters.office)
    elif not filters.all_offices and getattr(profile, "other_office_count", None) == 0:
        # One office served (officer_profile_for counts the others): a constant the queue
        # index reads as a range, where an OR with a subquery is checked row by row.
        qs = qs.filter(office_id=profile.office_id)
    elif not filters.all_offices:
        # The offices the officer serves: their own and those added (a subquery, no round trip).
        served = profile.other_offices.through.objects.filter(officerprofile_id=profile.pk)
        qs = qs.filter(
            Q(office_id=profile.office_id) | Q(office_id__in=served.values("agencyoffice_id"))
        )
    if filters.agreement is not None:
        qs = qs.filter(agreement=filters.agreement)
    elif filters.non_preferential:
        qs = qs.filter(agreement=None)
    if filters.mine:
        qs = qs.filter(assigned_officer=user)
    query = filters.query.strip()
    if query:
        qs = _search(qs, agency_id=profile.agency_id, query=query)
    return qs


def _search(qs: QuerySet[Application], *, agency_id: int, query: str) -> QuerySet[Application]:
    """The officers' search (applications.selectors.search_by_plan): reference, IEC, firm
    name, the filer's own reference, invoice number."""
    mine = Application.objects.filter(agency_id=agency_id).order_by()  # no ORDER BY in a UNION
    invoices = Invoice.objects.filter(application__agency_id=agency_id).order_by()

    def substring() -> Matches:
        # The firms as subqueries, not joins: the filter is then on the application's own
        # row, and the firm's indexes (IEC, name trigrams) answer them once, not row by row.
        # An IEC is one firm's (unique): the probe reads that firm, then its applications are
        # tested by the firm's id as a value, whose share of the rows the planner knows.
        firms = IECRecord.objects.filter(firm_name__icontains=query).values("pk")
        return [
            reference_match(mine, query),
            (
                IECRecord.objects.filter(iec=query.upper()).values("pk"),
                lambda firm_ids: Q(firm_id__in=firm_ids),
            ),
            # the filer's own reference
            (mine.filter(client_reference=query).values("pk"), Q(client_reference=query)),
            (mine.filter(firm_id__in=firms).values("pk"), Q(firm_id__in=firms)),
            (
                invoices.filter(number__icontains=query).values("application_id"),
                Q(
                    Exists(
                        Invoice.objects.filter(application=OuterRef("pk"), number__icontains=query)
                    )
                ),
            ),
        ]

    return search_by_plan(qs, mine=mine, invoices=invoices, query=query, substring=substring)


def queue_counts(*, profile: OfficerProfile, user: User, filters: QueueFilters) -> dict[str, int]:
    """{tab key: count} under the current filters, each counted up to COUNT_LIMIT + 1 (the
    page says "1,000+" beyond), in one query: a tab count never scans the whole agency."""
    base = _queue_base(profile=profile, user=user, filters=filters)
    return bounded_counts({tab.key: base.filter(status__in=tab.statuses) for tab in TABS})


def queue_order(tab_key: str) -> Order:
    """Open work oldest first (first come, first served); decisions newest first."""
    if tab_key == "decided":
        return Order("decided_at", descending=True)
    return Order("submitted_at")


def queue_page(
    *, profile: OfficerProfile, user: User, filters: QueueFilters, cursor: str = ""
) -> KeysetPage:
    """One page of a tab, after (or before) the cursor's row: one query, as cheap on the
    thousandth page as on the first (the queue indexes match each tab's filter and order)."""
    qs = applications_annotate_issuance_delayed(
        queue_queryset(profile=profile, user=user, filters=filters).select_related(
            "agreement",
            "office",
            "assigned_officer",
            "firm",
            "exporter",
            "submitted_by",
            "filed_by_agent",
        )
    )
    order = queue_order(filters.tab)
    return keyset_page(qs, order=order, cursor=cursor, size=QUEUE_PAGE_SIZE)


def queue_queryset(
    *, profile: OfficerProfile, user: User, filters: QueueFilters
) -> QuerySet[Application]:
    """The applications of the filters' tab, unordered."""
    tab = TABS_BY_KEY.get(filters.tab, TABS[0])
    return _queue_base(profile=profile, user=user, filters=filters).filter(status__in=tab.statuses)


def queue_filter_choices(
    *, profile: OfficerProfile
) -> tuple[QuerySet[TradeAgreement], QuerySet[AgencyOffice]]:
    """The agreements and offices the filters offer: those of the officer's agency."""
    agreements = TradeAgreement.objects.filter(agencies=profile.agency_id).order_by("name")
    offices = AgencyOffice.objects.filter(agency_id=profile.agency_id).order_by("code")
    return agreements, offices


# ---------------------------------------------------------------------------------------------
# Working days
# ---------------------------------------------------------------------------------------------


def working_days_between(start: date, end: date) -> int:
    """Weekdays after `start` up to and including `end`: Friday to Monday is one working day.
    (Public holidays are not modelled.)"""
    if end <= start:
        return 0
    days = (end - start).days
    whole_weeks, rest = divmod(days, 7)
    count = whole_weeks * 5
    for offset in range(1, rest + 1):
        if (start + timedelta(days=offset)).weekday() < 5:
            count += 1
    return count


def working_age(moment: datetime | None, *, now: datetime | None = None) -> int:
    if moment is None:
        return 0
    now = now or timezone.now()
    return working_days_between(timezone.localdate(moment), timezone.localdate(now))


def _overdue_cutoff(*, now: datetime, working_days: int) -> datetime:
    """The moment before which a submission has waited more than `working_days`."""
    today = timezone.localdate(now)
    day = today
    while working_days_between(day, today) <= working_days:
        day -= timedelta(days=1)
    # Everything submitted on `day` or earlier is overdue: before the start of the next day.
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


# ---------------------------------------------------------------------------------------------
# The review page
# ---------------------------------------------------------------------------------------------


def application_get_for_officer(*, reference: str, profile: OfficerProfile) -> Application:
    """An application of the officer's agency with everything the review page shows, in a
    fixed number of queries. Another agency's reference is a 404."""
    application = (
        applications_seen_by_officers(agency_id=profile.agency_id)
        .filter(reference=reference)
        .exclude(status=Status.DRAFT)
        .select_related(
            "agreement",
            "agency",
            "office",
            "assigned_officer",
            "firm",
            "filed_by_agent",
        )
        .prefetch_related(
            Prefetch("items", queryset=LineItem.objects.select_related("cost_sheet")),
            "items__cost_sheet__materials__evidence",
            "invoices",
            "documents",
            Prefetch("payments", queryset=Payment.objects.order_by("-created_at")),
            Prefetch(
                "events",
                queryset=ApplicationEvent.objects.select_related("actor").order_by(
                    "created_at", "id"
                ),
            ),
        )
        .first()
    )
    if application is None:
        raise Http404("No such application")
    return application


@dataclass(frozen=True)
class Flag:
    ok: bool
    label: str
    detail: str = ""


@dataclass
class ItemReview:
    item: object
    hs_description: str
    flags: list[Flag] = field(default_factory=list)
    worksheet: ItemWorksheet | None = None  # what the cost sheet works out (preferential)


@dataclass(frozen=True)
class ExporterHistory:
    issued: str  # bounded counts as shown: "12", "1,000+"
    rejected: str
    other_open: str
    recent: list[Application]


def application_checks(application: Application) -> tuple[list[Flag], list[ItemReview]]:
    """The automatic checks: header flags and, for each line item, its HS description and
    flags. One query (HS descriptions); the rest reads prefetched rows."""
    items = list(application.items.all())
    descriptions = hs_descriptions([i.hs_code for i in items])
    agreement = application.agreement
    criteria = {c.upper() for c in (agreement.origin_criteria if agreement else [])}

    header: list[Flag] = []
    if agreement is None:
        header.append(Flag(True, "Destination", "Non-preferential: any destination."))
    else:
        partner = application.destination_country.code in {
            c.code for c in agreement.partner_countries
        }
        header.append(
            Flag(
                partner,
                "Destination is a partner",
                f"{application.destination_country.name} "
                + ("is" if partner else "is not")
                + f" a partner of {agreement.code}.",
            )
        )
    today = timezone.localdate()
    rule = form_for(agreement.code).retroactive if agreement is not None else None
    if agreement is not None and rule is not None and application.departure_date is not None:
        days = (today - application.departure_date).days
        late = days > rule.within_days
        header.append(
            Flag(
                not late,
                "Within the time for retroactive issue",
                f"Shipped {days} days ago: "
                + (
                    f"{agreement.code} allows a certificate up to {rule.within_days} days "
                    "after shipment."
                    if late
                    else f"a certificate issued now is {'' if days > rule.after_days else 'not '}"
                    f"marked {rule.marking}."
                ),
            )
        )
    future = [inv for inv in application.invoices.all() if inv.date > today]
    header.append(
        Flag(
            not future,
            "Invoice dates not in the future",
            ", ".join(f"{inv.number} is dated {inv.date:%d %b %Y}" for inv in future)
            or "All invoice dates are today or earlier.",
        )
    )
    if not application.invoices.all():
        header.append(Flag(False, "Invoices", "No invoice is given."))

    reviews = []
    for item in items:
        description = descriptions.get(item.hs_code, "")
        flags = [
            Flag(
                bool(description),
                "HS subheading exists",
                "" if description else f"{item.hs_code[:6]} is not an HS 2022 subheading.",
            )
        ]
        if agreement is None:
            flags.append(
                Flag(
                    not item.origin_criterion,
                    "No origin criterion",
                    "" if not item.origin_criterion else "Non-preferential needs no criterion.",
                )
            )
        else:
            valid = item.origin_criterion.upper() in criteria
            flags.append(
                Flag(
                    valid,
                    "Criterion valid for the agreement",
                    ""
                    if valid
                    else f"{item.origin_criterion or 'No criterion'} is not one of "
                    f"{agreement.code}'s ({', '.join(sorted(criteria))}).",
                )
            )
        worksheet = item_worksheet(item, agreement.code) if agreement is not None else None
        if worksheet is not None:
            flags.append(
                Flag(
                    worksheet.supported,
                    "Criterion supported by the cost sheet",
                    worksheet.problem
                    or (f"Worked out: {worksheet.outcome.criterion}." if worksheet.outcome else "")
                    or worksheet.note,
                )
            )
        reviews.append(
            ItemReview(item=item, hs_description=description, flags=flags, worksheet=worksheet)
        )
    return header, reviews


def exporter_history(*, application: Application) -> ExporterHistory:
    """The exporter's record with this agency, other than this application (two queries).
    Each count stops at COUNT_LIMIT + 1 and reads "1,000+" beyond, as the queue's tabs do:
    a firm of a hundred thousand applications costs no more than one of a thousand."""
    others = Application.objects.filter(
        firm_id=application.firm_id, agency_id=application.agency_id
    ).exclude(pk=application.pk)
    counts = bounded_counts(
        {
            "issued": others.filter(status__in=[Status.ISSUED, Status.APPROVED]),
            "rejected": others.filter(status=Status.REJECTED),
            "other_open": others.filter(
                status__in=[
                    Status.SUBMITTED,
                    Status.UNDER_REVIEW,
                    Status.CLARIFICATION_REQUESTED,
                ]
            ),
        }
    )
    recent = list(
        others.filter(status__in=[Status.ISSUED, Status.APPROVED, Status.REJECTED])
        .only("reference", "status", "decided_at", "agency_id", "firm_id")
        .order_by("-decided_at", "-pk")[:5]
    )
    return ExporterHistory(
        recent=recent, **{key: count_label(count) for key, count in counts.items()}
    )


def agency_officers(*, profile: OfficerProfile) -> QuerySet[User]:
    """The officers an agency administrator may hand an application to."""
    return User.objects.filter(
        officer_profile__agency_id=profile.agency_id,
        role__in=[User.Role.OFFICER, User.Role.AGENCY_ADMIN],
        is_active=True,
    ).order_by("first_name", "last_name", "username")


# ---------------------------------------------------------------------------------------------
# The dashboard
# ---------------------------------------------------------------------------------------------

OPEN_COUNTED = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED)
DECIDED_COUNTED = DECIDED_STATUSES
OVERDUE_WORKING_DAYS = 2
MEDIAN_WINDOW_DAYS = 30
# As the queue's tabs: past a thousand, an exact figure is no more use to an officer than
# "more than 1,000", and each count stops there (bench/queues.py: 10,000 cost 40 ms more).
DASHBOARD_COUNT_LIMIT = COUNT_LIMIT
OVERDUE_PAGE_SIZE = 25
LATE_SHOWN = 50


@dataclass(frozen=True)
class DashboardStats:
    counts: list[tuple[str, str, int]]  # (status, label, count): open work, all of it
    decided: list[tuple[str, str, int]]  # the same, for decisions of the last 30 days
    overdue: KeysetPage
    overdue_count: int
    median_decision: timedelta | None
    decisions_counted: int
    # Approved, no certificate, nothing working on it (the sweep queues these again).
    certificates_late: list[Application]
    count_limit: int = DASHBOARD_COUNT_LIMIT

    @property
    def median_decision_text(self) -> str:
        """'1 day 4 hours', '3 hours 20 minutes': a duration in words an officer reads."""
        if self.median_decision is None:
            return ""
        minutes = int(self.median_decision.total_seconds() // 60)
        days, minutes = divmod(minutes, 24 * 60)
        hours, minutes = divmod(minutes, 60)
        parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
        words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
        return " ".join(words[:2]) or "under a minute"


def _median_decision(decisions: QuerySet[Application]) -> tuple[timedelta | None, int]:
    """The median of decided_at - submitted_at and how many decisions it covers.

    PostgreSQL computes it (percentile_cont over the window's rows, read from the decided
    index); SQLite, the embedded default for one developer, has no percentile aggregate, so
    there the durations are read and the median taken in Python.
    """
    decisions = decisions.filter(submitted_at__isnull=False, decided_at__gte=F("submitted_at"))
    if connection.vendor == "postgresql":
        sql, params = (
            decisions.order_by().values("submitted_at", "decided_at").query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT percentile_cont(0.5) WITHIN GROUP "  # noqa: S608 - Django compiled the inner query
                "(ORDER BY EXTRACT(EPOCH FROM d.decided_at - d.submitted_at)), COUNT(*) "
                f"FROM ({sql}) AS d",
                params,
            )
            seconds, counted = cursor.fetchone()
        return (None if seconds is None else timedelta(seconds=float(seconds))), counted
    durations: list[timedelta] = [
        decided - submitted
        for submitted, decided in decisions.values_list("submitted_at", "decided_at")
        if submitted is not None and decided is not None  # filtered above; narrows the type
    ]
    median = statistics.median(durations) if durations else None  # type: ignore[type-var]  # median adds and halves, which timedelta does; typeshed admits numbers only
    return median, len(durations)


def dashboard_stats(
    *, profile: OfficerProfile, now: datetime | None = None, cursor: str = ""
) -> DashboardStats:
    """Open work by status, decisions of the last 30 days by status, the applications waiting
    longer than two working days (a page of them, oldest first) and the median time from
    (latest) submission to decision over the last 30 days, and the approved applications whose
    certificate is late. Four queries, none of which reads
    every application of the agency: counts stop at DASHBOARD_COUNT_LIMIT, and decided rows
    are read from the decided index, within the window."""
    now = now or timezone.now()
    # Only statuses that follow a submission are counted or listed (see _queue_base).
    agency_apps = Application.objects.filter(agency_id=profile.agency_id)
    since = now - timedelta(days=MEDIAN_WINDOW_DAYS)
    cutoff = _overdue_cutoff(now=now, working_days=OVERDUE_WORKING_DAYS)
    overdue_qs = agency_apps.filter(status__in=OVERDUE_STATUSES, submitted_at__lt=cutoff)

    windowed = agency_apps.filter(decided_at__gte=since)
    counted = bounded_counts(
        {
            **{s.value: agency_apps.filter(status=s) for s in OPEN_COUNTED},
            **{f"decided-{s.value}": windowed.filter(status=s) for s in DECIDED_COUNTED},
            "overdue": overdue_qs,
        },
        limit=DASHBOARD_COUNT_LIMIT,
    )
    overdue = keyset_page(
        overdue_qs.select_related("office", "assigned_officer", "firm"),
        order=Order("submitted_at"),
        cursor=cursor,
        size=OVERDUE_PAGE_SIZE,
    )
    for application in overdue:
        application.age_working_days = working_age(application.submitted_at, now=now)

    median, decisions_counted = _median_decision(windowed.filter(status__in=DECIDED_COUNTED))
    late = list(
        applications_issuance_stuck(agency_id=profile.agency_id, now=now).select_related(
            "office", "firm"
        )[:LATE_SHOWN]
    )
    return DashboardStats(
        counts=[(s.value, str(s.label), counted[s.value]) for s in OPEN_COUNTED],
        decided=[(s.value, str(s.label), counted[f"decided-{s.value}"]) for s in DECIDED_COUNTED],
        overdue=overdue,
        overdue_count=counted["overdue"],
        median_decision=median,
        decisions_counted=decisions_counted,
        certificates_late=late,
    )


def application_for_risks(*, application_id: int) -> Application:
    """An application with what the risk checks read (invoices, goods, documents)."""
    return Application.objects.prefetch_related("invoices", "items", "documents").get(
        pk=application_id
    )


def application_id_for_officer(*, reference: str, profile: OfficerProfile) -> int:
    """The id of an application of the officer's agency (for the decision views); else 404."""
    pk = (
        applications_seen_by_officers(agency_id=profile.agency_id)
        .filter(reference=reference)
        .exclude(status=Status.DRAFT)
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        raise Http404("No such application")
    return pk
