# The time-to-decision report's histogram (applications.models.DecisionDay), filled from the
# decisions there are.

import math
from datetime import datetime, time

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F
from django.utils import timezone


def fill(apps, schema_editor):
    """The histogram for every day before today, from the applications (as
    applications/rollups.py counts it; the decision writer keeps it from here on), so that the
    report reads it at once after the deploy. What the previous release decides while this one
    rolls out is counted by the nightly rebuild of the last days (review.rollup_recent)."""
    Application = apps.get_model("applications", "Application")
    DecisionDay = apps.get_model("applications", "DecisionDay")
    today = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    counts = {}
    decisions = Application.objects.filter(
        status__in=["approved", "issued", "rejected"],
        decided_at__lt=today,
        submitted_at__isnull=False,
        agency__isnull=False,
    ).filter(decided_at__gte=F("submitted_at"))
    for agency_id, submitted, decided in decisions.values_list(
        "agency_id", "submitted_at", "decided_at"
    ).iterator(chunk_size=5000):
        hours = math.ceil((decided - submitted).total_seconds() / 3600)
        key = (timezone.localdate(decided), agency_id, hours)
        counts[key] = counts.get(key, 0) + 1
    DecisionDay.objects.bulk_create(
        (
            DecisionDay(day=day, agency_id=agency_id, hours=hours, count=n)
            for (day, agency_id, hours), n in sorted(counts.items())
        ),
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0034_firm_reference_start_index"),
        ("reference", "0006_agency_self_declaration"),
    ]

    operations = [
        migrations.CreateModel(
            name="DecisionDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("hours", models.PositiveIntegerField()),
                ("count", models.PositiveIntegerField(default=0)),
                (
                    "agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="reference.issuingagency",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "agency", "hours"), name="decisionday_key"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
