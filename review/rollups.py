"""Daily roll-ups of applications received and decided (review.models.ApplicationDay), and
the rebuild of every roll-up the reports read (`rollups_rebuild`: this one, the review steps'
and the fees' in applications/rollups.py, the lookups' in verification/rollups.py).

The reports "Applications received" and "Applications decided" read the roll-up for every full
day of their range and the applications themselves only for today, so that they answer from a
few thousand rows however many applications there are (bench/reports.py).

A day's rows for an agency are rebuilt from the applications as a whole (delete, then one
grouped insert), under a lock on the agency's row, so two refreshes of the same agency never
interleave. Who calls it:
- every save of an application (signal below, after the commit): the days it counts on, its
  first submission's and its decision's, when they are before today (today is read raw);
- `manage.py rollup_reports [--days N | --since DATE]` and the nightly beat task (the last
  ROLLUP_DAYS days), which also catch writes that bypass save() (bulk updates, the bench).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from applications.models import DECIDED_STATUSES, Application
from applications.rollups import review_and_fee_days_rebuild
from reference.models import IssuingAgency
from verification.rollups import lookup_days_rebuild

from .models import ApplicationDay

MEASURES = {
    ApplicationDay.Measure.RECEIVED: "first_submitted_at",
    ApplicationDay.Measure.DECIDED: "decided_at",
}
# The nightly task rebuilds this many days back (today excluded: it is read raw).
ROLLUP_DAYS = 3


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _rows(agency_ids: list[int], since: date, until: date) -> Iterable[ApplicationDay]:
    """The roll-up rows of [since, until) for these agencies, from the applications."""
    tz = timezone.get_current_timezone()
    for measure, column in MEASURES.items():
        qs = Application.objects.filter(
            agency_id__in=agency_ids,
            **{f"{column}__gte": day_start(since), f"{column}__lt": day_start(until)},
        )
        if measure == ApplicationDay.Measure.DECIDED:
            qs = qs.filter(status__in=DECIDED_STATUSES)
        grouped = (
            qs.annotate(day=TruncDate(column, tzinfo=tz))
            .values(
                "day", "agency_id", "office_id", "agreement_id", "destination_country", "status"
            )
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in grouped:
            yield ApplicationDay(
                measure=measure,
                day=row["day"],
                agency_id=row["agency_id"],
                office_id=row["office_id"],
                agreement_id=row["agreement_id"],
                destination=str(row["destination_country"]),
                status=row["status"],
                count=row["n"],
            )


def rollup_rebuild(*, since: date, until: date, agency_id: int | None = None) -> int:
    """Rebuild the roll-up of the days [since, until) (of one agency, or all); returns the
    number of rows written. Idempotent."""
    until = min(until, timezone.localdate())  # today is never rolled up
    if since >= until:
        return 0
    with transaction.atomic():
        agencies = IssuingAgency.objects.order_by("pk").select_for_update()
        if agency_id is not None:
            agencies = agencies.filter(pk=agency_id)
        agency_ids = list(agencies.values_list("pk", flat=True))  # locked, in order
        ApplicationDay.objects.filter(
            agency_id__in=agency_ids, day__gte=since, day__lt=until
        ).delete()
        rows = list(_rows(agency_ids, since, until))
        ApplicationDay.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def rollups_rebuild(*, since: date, until: date) -> int:
    """Rebuild every roll-up of the reports for the past days [since, until), from the raw
    rows; returns the rows written. Idempotent."""
    return (
        rollup_rebuild(since=since, until=until)
        + review_and_fee_days_rebuild(since=since, until=until)
        + lookup_days_rebuild(since=since, until=until)
    )


def rollup_recent(days: int = ROLLUP_DAYS) -> int:
    today = timezone.localdate()
    return rollups_rebuild(since=today - timedelta(days=days), until=today)


def application_days(application: Application) -> set[date]:
    """The days before today an application counts on in the roll-up."""
    today = timezone.localdate()
    days = set()
    for column in MEASURES.values():
        moment = getattr(application, column)
        if moment is not None:
            day = timezone.localdate(moment)
            if day < today:
                days.add(day)
    return days


def rollup_refresh_application(application: Application) -> None:
    """After an application changed (status, decision): its days, rebuilt after the commit."""
    days = application_days(application)
    if not days:
        return
    agency_id = application.agency_id

    def refresh() -> None:
        for day in sorted(days):
            rollup_rebuild(since=day, until=day + timedelta(days=1), agency_id=agency_id)

    transaction.on_commit(refresh)
